"""``manage.py prune_jobs``: enforce ``JOBS["RETENTION"]`` now."""

from typing import Any

from django.core.management.base import BaseCommand

from django_jobs.api import prune


class Command(BaseCommand):
    help = "Delete finished jobs past JOBS['RETENTION'] (never unfinished ones)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = prune()
        summary = ", ".join(f"{status.lower()}: {n}" for status, n in counts.items())
        self.stdout.write(f"Deleted {sum(counts.values())} jobs ({summary}).")
