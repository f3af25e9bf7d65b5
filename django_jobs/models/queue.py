"""Per-queue operator state: a paused queue is skipped by every worker."""

from django.db import models


class Queue(models.Model):
    """A queue that an operator has touched (paused or resumed).

    Queues themselves are just names on jobs; a row exists only once someone
    pauses one, so an absent row means "running".
    """

    backend_name = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["backend_name", "name"], name="django_jobs_queue_uniq")
        ]
        permissions = [("pause_queue", "Can pause and resume queues")]

    def __str__(self) -> str:
        return f"{self.backend_name}/{self.name}{' (paused)' if self.paused else ''}"
