"""What a worker was asked to do, validated once before it starts."""

from dataclasses import dataclass

from django_jobs.compat import DEFAULT_TASK_BACKEND_ALIAS


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    backend: str = DEFAULT_TASK_BACKEND_ALIAS
    queues: tuple[str, ...] | None = None  # None: every queue of the backend
    concurrency: int = 4
    burst: bool = False
    max_jobs: int | None = None
    grace: float = 30.0
    scheduler: bool = True
    health_file: str | None = None  # see worker/health.py

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got: {self.concurrency}")
        if self.max_jobs is not None and self.max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got: {self.max_jobs}")
        if self.grace < 0:
            raise ValueError(f"grace must be >= 0 seconds, got: {self.grace}")
        if self.queues is not None and not self.queues:
            raise ValueError("queues must name at least one queue, or be None for all")
