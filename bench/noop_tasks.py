"""The trivial job every benchmark runs."""

from django_jobs import task


@task
def noop(n: int) -> int:
    return n
