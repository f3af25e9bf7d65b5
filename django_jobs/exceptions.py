"""Exceptions raised by django-jobs, and the two that tasks raise to steer retries."""

from django_jobs.compat import InvalidTask


class RetryLater(Exception):  # noqa: N818 - a request, not an error
    """Raised by a task to ask for another attempt, optionally after ``delay`` seconds.

    The attempt still counts against ``max_attempts`` so a task that always asks
    again cannot loop forever; without ``delay`` the task's backoff applies.
    """

    def __init__(self, delay: float | None = None, message: str = "") -> None:
        if delay is not None and (not isinstance(delay, int | float) or delay < 0):
            raise ValueError(f"RetryLater delay must be a non-negative number, got: {delay!r}")
        self.delay = delay
        super().__init__(message or ("retry requested" if delay is None else f"retry in {delay}s"))


class PermanentFailure(Exception):  # noqa: N818 - a verdict, not a bug
    """Raised by a task to fail its job at once, whatever attempts are left."""


class JobTimeout(Exception):  # noqa: N818
    """The task ran longer than its ``timeout``; the attempt is retried like any failure."""

    def __init__(self, message: str = "task exceeded its timeout") -> None:
        super().__init__(message)


class WorkerLost(Exception):  # noqa: N818
    """Recorded on a job whose worker stopped heartbeating while it ran (crash, SIGKILL)."""


class JobCancelled(Exception):  # noqa: N818
    """Recorded on a job cancelled by an operator or by code."""


class JobNotFound(LookupError):
    """No job has the given id."""


class InvalidJobOptions(InvalidTask):
    """A task option (``max_attempts``, ``backoff``, ...) has a wrong type or value."""


class InvalidPayload(InvalidTask):
    """Arguments that don't bind, aren't JSON or are too large; raised at enqueue."""


class UnknownTask(Exception):
    """A stored job names something that is not a Task; the job fails, the worker goes on."""


class InvalidTransition(Exception):
    """An operator action (requeue, cancel, ...) does not apply to the job's current state."""
