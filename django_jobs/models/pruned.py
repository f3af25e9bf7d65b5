"""Running totals of the finished jobs that pruning deleted, per backend, queue and status.

The metrics endpoint's finished-jobs counter is "rows in the job table plus rows pruned
from it": it only goes up, so Prometheus' ``rate()`` and ``increase()`` see no false reset
when history is pruned.
"""

from django.db import models


class PrunedJobs(models.Model):
    backend_name = models.CharField(max_length=100)
    queue_name = models.CharField(max_length=100)
    status = models.CharField(max_length=10)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "pruned jobs"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["backend_name", "queue_name", "status"], name="django_jobs_pruned_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.backend_name}/{self.queue_name} {self.status}: {self.count}"
