"""``manage.py run_jobs``: parse and validate flags, then hand over to the worker."""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_jobs.compat import InvalidTaskBackend, task_backends
from django_jobs.conf import get_settings
from django_jobs.management.arguments import positive_int, seconds
from django_jobs.scheduler import Scheduler
from django_jobs.worker import Worker, WorkerOptions
from django_jobs.worker.health import check_writable


class Command(BaseCommand):
    help = "Run a worker that executes queued jobs until stopped (SIGTERM/SIGINT)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--backend", default="default", help="TASKS alias (default: default)")
        parser.add_argument(
            "--queue",
            action="append",
            dest="queues",
            metavar="QUEUE",
            help="Queue to serve; repeat for several (default: all of the backend's queues)",
        )
        parser.add_argument("--concurrency", type=positive_int, help="Jobs run at once (threads)")
        parser.add_argument("--burst", action="store_true", help="Run what is due, then exit 0")
        parser.add_argument("--max-jobs", type=positive_int, help="Exit after this many jobs")
        parser.add_argument("--no-scheduler", action="store_true", help="Don't run cron schedules")
        parser.add_argument(
            "--grace", type=seconds, help="Seconds running jobs get to finish on SIGTERM"
        )
        parser.add_argument(
            "--processes",
            type=positive_int,
            default=1,
            help="Run this many worker processes, restarted if they die (default: 1)",
        )
        parser.add_argument(
            "--health-file",
            metavar="PATH",
            help="Touch this file while the worker is healthy, for a per-process liveness probe",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = self._backend(options["backend"])
        self._check_queues(backend, options["queues"])
        if options["health_file"] and (problem := check_writable(options["health_file"])):
            raise CommandError(problem)
        if options["processes"] > 1:
            raise SystemExit(self._supervise(options))
        jobs_settings = get_settings()
        worker_options = WorkerOptions(
            backend=backend.alias,
            queues=tuple(options["queues"]) if options["queues"] else None,
            concurrency=options["concurrency"] or jobs_settings.CONCURRENCY,
            burst=options["burst"],
            max_jobs=options["max_jobs"],
            grace=jobs_settings.GRACE_SECONDS if options["grace"] is None else options["grace"],
            scheduler=not options["no_scheduler"],
            health_file=options["health_file"],
        )
        worker = self._worker_class(backend)(worker_options)
        if worker_options.scheduler:
            worker.add_side_loop(Scheduler)
        worker.signals.install()
        exit_code = worker.run()
        if exit_code:
            raise SystemExit(exit_code)

    @staticmethod
    def _supervise(options: dict[str, Any]) -> int:
        from django_jobs.worker.supervisor import Supervisor

        child_args = ["--backend", options["backend"]]
        for queue in options["queues"] or []:
            child_args += ["--queue", queue]
        for flag in ("concurrency", "max_jobs", "grace"):
            if options[flag] is not None:
                child_args += [f"--{flag.replace('_', '-')}", str(options[flag])]
        child_args += ["--burst"] * options["burst"] + ["--no-scheduler"] * options["no_scheduler"]
        return Supervisor(
            child_args, options["processes"], burst=options["burst"], health=options["health_file"]
        ).run()

    @staticmethod
    def _backend(alias: str) -> Any:
        try:
            backend = task_backends[alias]
        except InvalidTaskBackend as exc:
            raise CommandError(f"Unknown task backend {alias!r}: {exc}") from exc
        kind = getattr(backend, "worker_kind", None)
        if kind is None:
            raise CommandError(
                f"Backend {alias!r} ({type(backend).__name__}) has no queue to work on: "
                "use django_jobs.backends.DatabaseBackend or HueyBackend."
            )
        return backend

    @staticmethod
    def _worker_class(backend: Any) -> type[Worker]:
        if backend.worker_kind == "huey":
            from django_jobs.worker.huey_runner import HueyWorker

            return HueyWorker
        return Worker

    @staticmethod
    def _check_queues(backend: Any, queues: list[str] | None) -> None:
        unknown = sorted(set(queues or []) - backend.queues) if backend.queues else []
        if unknown:
            raise CommandError(
                f"Unknown queue(s) {unknown} for backend {backend.alias!r}; "
                f"its QUEUES are {sorted(backend.queues)}."
            )
