"""The benchmark job as a django-jobs task."""

from bench.jobs import mark
from django_jobs import task


@task
def bench_job(enqueued_at: float) -> None:
    mark(enqueued_at)


@task
def noop() -> None:
    """Nothing at all: what the database and the worker cost on their own (drain_cpu.py)."""
