"""Deleting finished jobs past ``JOBS["RETENTION"]``, in small batches."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from django_jobs.status import JobStatus


class RetentionMixin:
    """``prune()`` for JobStore."""

    jobs: Any

    # -- retention ------------------------------------------------------------------

    def prune(self, retention: dict[str, int], batch: int = 500) -> dict[str, int]:
        """Delete finished jobs past retention in batches of ``batch`` rows.

        Successful jobs are kept while they are both younger than
        ``SUCCESSFUL`` seconds and among the newest ``SUCCESSFUL_KEEP``; failed
        and cancelled ones for their own durations. Unfinished jobs never match.
        """
        now = timezone.now()
        successful = self.jobs.filter(status=JobStatus.SUCCESSFUL)
        cutoff = now - timedelta(seconds=retention["SUCCESSFUL"])
        newest = successful.order_by("-finished_at").values_list("finished_at", flat=True)
        kept_from = newest[retention["SUCCESSFUL_KEEP"] - 1 : retention["SUCCESSFUL_KEEP"]].first()
        if kept_from is not None and kept_from > cutoff:
            cutoff = kept_from
        rules = {
            JobStatus.SUCCESSFUL: successful.filter(finished_at__lt=cutoff),
            JobStatus.FAILED: self.jobs.filter(
                status=JobStatus.FAILED,
                finished_at__lt=now - timedelta(seconds=retention["FAILED"]),
            ),
            JobStatus.CANCELLED: self.jobs.filter(
                status=JobStatus.CANCELLED,
                finished_at__lt=now - timedelta(seconds=retention["CANCELLED"]),
            ),
        }
        return {str(status): self._delete_in_batches(qs, batch) for status, qs in rules.items()}

    def _delete_in_batches(self, queryset: Any, batch: int) -> int:
        deleted = 0
        while ids := list(queryset.values_list("pk", flat=True)[:batch]):
            deleted += self.jobs.filter(pk__in=ids).delete()[0]
        return deleted
