"""``manage.py demo``: migrate, create a demo login, start the web server and a worker,
and place sample orders so every admin page has data within a minute."""

import os
import secrets
import subprocess
import sys
import threading
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from testproject.shop.models import Order
from testproject.shop.views import enqueue_order_jobs


class Command(BaseCommand):
    help = "Run the demo: web admin + a worker processing sample jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--orders", type=int, default=12, help="Sample orders placed at start")
        parser.add_argument(
            "--every",
            type=float,
            default=5.0,
            help="Place another order every N seconds (0: never)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        password = self._demo_login()
        for _ in range(options["orders"]):
            self._place_order()
        manage = [sys.executable, os.path.abspath(sys.argv[0])]
        worker = subprocess.Popen([*manage, "run_jobs", "--concurrency", "4"])
        web = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{options['port']}", "--noreload"])
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo running: http://127.0.0.1:{options['port']}/admin/  "
                f"login: demo / {password}\nShop: http://127.0.0.1:{options['port']}/  "
                "(Ctrl+C stops everything)\n"
            )
        )
        self.stdout.flush()  # the login line, even when stdout is a file or a pipe
        stop = threading.Event()
        if options["every"] > 0:
            threading.Thread(
                target=self._traffic, args=(stop, options["every"]), daemon=True
            ).start()
        try:
            worker.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            for process in (web, worker):
                process.terminate()
            for process in (web, worker):
                process.wait(timeout=60)

    @staticmethod
    def _demo_login() -> str:
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username="demo", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save()
        return password

    @staticmethod
    def _place_order() -> None:
        with transaction.atomic():
            count = Order.objects.count()
            order = Order.objects.create(email=f"buyer{count + 1}@example.com", total_cents=4200)
            enqueue_order_jobs(order)

    def _traffic(self, stop: threading.Event, every: float) -> None:
        while not stop.wait(every):
            self._place_order()
