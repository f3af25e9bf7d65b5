"""Deleting finished jobs past ``JOBS["RETENTION"]``, in small batches."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from django_jobs.models import PrunedJobs
from django_jobs.status import JobStatus


class RetentionMixin:
    """``prune()`` for JobStore."""

    jobs: Any
    using: str

    # -- retention ------------------------------------------------------------------

    def prune(self, retention: dict[str, int], batch: int = 500) -> dict[str, int]:
        """Delete finished jobs past retention in batches of ``batch`` rows.

        Successful jobs are kept while they are both younger than
        ``SUCCESSFUL`` seconds and among the newest ``SUCCESSFUL_KEEP``; failed
        and cancelled ones for their own durations. Unfinished jobs never match.
        """
        now = timezone.now()
        # Every finished job has ``finished_at``: saying so lets the databases read
        # the (status, finished_at) index, which holds finished jobs only.
        successful = self.jobs.filter(status=JobStatus.SUCCESSFUL, finished_at__isnull=False)
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
        """Delete in batches; each batch adds what it deleted to ``PrunedJobs`` atomically.

        The transaction's first statement writes (a no-op UPDATE of the batch): it takes
        row locks on PostgreSQL and MySQL, so two pruners never count one row, and on
        SQLite begun ``DEFERRED`` (a project's choice) the writer lock: a read first would
        pin a snapshot that fails at once with "database is locked" once any worker has
        written since. Every statement keeps the rule's filter, so a job requeued after
        its id was read is neither counted nor deleted. Unordered: the model's ordering
        would sort every prunable job again for each batch.
        """
        queryset = queryset.order_by()
        deleted = 0
        while ids := list(queryset.values_list("pk", flat=True)[:batch]):
            with transaction.atomic(using=self.using):
                batch_rows = queryset.filter(pk__in=ids)
                batch_rows.update(status=F("status"))
                groups = Counter(batch_rows.values_list("backend_name", "queue_name", "status"))
                deleted += batch_rows.delete()[0]
                self._add_pruned(groups)
        return deleted

    def _add_pruned(self, groups: Counter) -> None:
        for (backend, queue, status), count in groups.items():
            totals = PrunedJobs.objects.using(self.using)
            key = {"backend_name": backend, "queue_name": queue, "status": status}
            if not totals.filter(**key).update(count=F("count") + count):
                try:
                    with transaction.atomic(using=self.using):
                        totals.create(**key, count=count)
                except IntegrityError:  # another pruner created the row just now
                    totals.filter(**key).update(count=F("count") + count)
