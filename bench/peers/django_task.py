"""The benchmark job as a plain Django task, for Django's own backend and django-tasks-db."""

from django.tasks import task

from bench.jobs import mark


@task
def bench_job(enqueued_at: float) -> None:
    mark(enqueued_at)
