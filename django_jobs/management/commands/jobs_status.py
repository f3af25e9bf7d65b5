"""``manage.py jobs_status [--check] [--max-age SECONDS]``: queues and workers at a glance.

With ``--check`` it is a check of the whole cluster, for alerting: exit 1 when
no worker is alive or a queue's oldest due job has waited longer than
``--max-age``. It is not a per-pod liveness probe (a backlog would fail it in
every pod at once); that is ``run_jobs --health-file`` with
``python -m django_jobs.probe``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_jobs.management.arguments import seconds
from django_jobs.stats import QueueStats, live_workers, lost_workers, queue_stats

HEADER = ("backend", "queue", "ready", "scheduled", "running", "ok 24h", "failed 24h", "oldest due")


def _row(stats: QueueStats) -> tuple[str, ...]:
    age = "-" if stats.oldest_due_age is None else f"{stats.oldest_due_age:.0f}s"
    queue = f"{stats.queue} (paused)" if stats.paused else stats.queue
    return (
        stats.backend,
        queue,
        str(stats.ready),
        str(stats.scheduled),
        str(stats.running),
        str(stats.succeeded_24h),
        str(stats.failed_24h),
        age,
    )


class Command(BaseCommand):
    help = "Show queues and workers; with --check, exit 1 when something is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Exit 1 on a problem")
        parser.add_argument(
            "--max-age",
            type=seconds,
            default=300.0,
            help="Longest a due job may wait before --check fails (default 300)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queues = queue_stats()
        live, lost = live_workers(), lost_workers()
        self._table([HEADER, *map(_row, queues)])
        self.stdout.write(f"\nworkers: {len(live)} live, {len(lost)} lost")
        for worker in live:
            self.stdout.write(
                f"  {worker.id}  queues={worker.queues or 'all'}  jobs done={worker.jobs_done}"
            )
        problems = self._problems(queues, live, options["max_age"])
        for problem in problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if options["check"] and problems:
            raise SystemExit(1)

    @staticmethod
    def _problems(queues: list[QueueStats], live: list, max_age: float) -> list[str]:
        problems = [] if live else ["no live worker"]
        problems += [
            f"queue {q.backend}/{q.queue}: oldest due job has waited {q.oldest_due_age:.0f}s "
            f"(> {max_age:.0f}s)"
            for q in queues
            if q.oldest_due_age is not None and q.oldest_due_age > max_age and not q.paused
        ]
        return problems

    def _table(self, rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )
