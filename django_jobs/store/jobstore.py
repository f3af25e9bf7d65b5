"""Every job state transition, each one conditional UPDATE.

Writes that finish a run are fenced on ``(status=RUNNING, attempts, worker_id)``:
if the lease was rescued meanwhile, the row count is 0 and the late writer
changes nothing. Nothing outside this module writes a job's state.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from django_jobs.exceptions import InvalidTransition, JobCancelled, WorkerLost
from django_jobs.models import Job, Queue
from django_jobs.status import JobStatus
from django_jobs.store.acks import AckGroup, Then
from django_jobs.store.batch import write_successes
from django_jobs.store.claim import ClaimRequest, claim_jobs, claim_jobs_by_id
from django_jobs.store.inserts import alike_jobs, insert_alike, insert_job
from django_jobs.store.outbox import OutboxMixin
from django_jobs.store.reconnect import retry_on_disconnect
from django_jobs.store.results import error_entry
from django_jobs.store.retention import RetentionMixin

logger = logging.getLogger("django_jobs")

RECOVERY_BATCH = 500
UNIQUE_INSERT_TRIES = 10  # each lost race means the key changed hands meanwhile
_DONE = {"worker_id": None, "lease_expires_at": None}


class JobStore(OutboxMixin, RetentionMixin):
    """The job table's state machine (READY -> RUNNING -> SUCCESSFUL | FAILED | READY ...)."""

    def __init__(self, using: str | None = None, *, group_commit: bool = False) -> None:
        """``group_commit``: successes of concurrent threads are written in shared batches."""
        self.using = using or router.db_for_write(Job)
        self._acks = AckGroup(self._succeed_many) if group_commit else None

    @property
    def jobs(self) -> Any:
        return Job.objects.using(self.using)

    # -- enqueue ----------------------------------------------------------------

    def create(self, job: Job, *, wake: str | None = None) -> tuple[Job, bool]:
        """Insert ``job``; with a unique key held by an unfinished job, return that one.

        ``wake``: the backend whose idle workers the insert should wake (PostgreSQL).
        """
        job.active_unique_key = job.unique_key
        if job.unique_key is None:
            insert_job(self.using, job, wake=wake)
            return job, True
        for _ in range(UNIQUE_INSERT_TRIES):
            try:
                with transaction.atomic(using=self.using):
                    insert_job(self.using, job, wake=wake)
                return job, True
            except IntegrityError as exc:
                conflict = exc
            existing = self.jobs.filter(active_unique_key=job.unique_key).first()
            if existing is not None:
                return existing, False
            # The holder finished between our insert and this read, and other enqueues
            # race for the freed key as well: insert again.
        raise conflict

    def create_alike(
        self,
        template: Job,
        arguments: Sequence[tuple[Any, Any, str, str]],
        ids: Sequence[UUID],
    ) -> None:
        """Insert one job per ``(args, kwargs, args_json, kwargs_json)`` (``payload.prepare``)
        under ``ids`` (``ids.new_job_ids``), like ``template`` otherwise (no unique key)."""
        insert_alike(self.using, template, arguments, ids)

    def alike_jobs(
        self, template: Job, ids: Sequence[UUID], arguments: Sequence[tuple[Any, ...]]
    ) -> list[Job]:
        """The ``Job`` objects of what ``create_alike(template, arguments, ids)`` stored."""
        return alike_jobs(self.using, template, ids, arguments)

    # -- claiming ---------------------------------------------------------------

    def claim(
        self,
        *,
        backend_name: str,
        worker_id: str,
        limit: int,
        lease_seconds: float,
        queues: Sequence[str] | None = None,
        paused: Sequence[str] | None = None,
    ) -> list[Job]:
        """Claim up to ``limit`` due jobs for ``worker_id``, highest priority first.

        ``paused`` lists the backend's paused queues when the caller already knows
        them (a worker re-reads them once a second); by default they are read now.
        """
        request = ClaimRequest(
            backend_name=backend_name,
            worker_id=worker_id,
            limit=limit,
            lease_seconds=lease_seconds,
            now=timezone.now(),
            queues=queues,
            paused=self.paused_queues(backend_name) if paused is None else paused,
        )
        jobs = claim_jobs(self.using, request)
        return sorted(jobs, key=lambda job: (-job.priority, job.run_after, job.pk))

    def claim_one(
        self, job_id: Any, *, worker_id: str, lease_seconds: float, due_only: bool = False
    ) -> Job | None:
        """Claim one READY job by id (immediate mode, huey's shim); None if someone else has it."""
        claimed = self.claim_by_id(
            [job_id], worker_id=worker_id, lease_seconds=lease_seconds, due_only=due_only
        )
        return claimed[0] if claimed else None

    def claim_by_id(
        self,
        job_ids: Sequence[Any],
        *,
        worker_id: str,
        lease_seconds: float,
        due_only: bool = False,
    ) -> list[Job]:
        """Claim the READY jobs among ``job_ids`` (a huey-mode worker's messages) at once.

        Returned in the order of ``job_ids``; jobs someone else has, or that are
        finished, are left out. With ``due_only`` a job whose ``run_after`` is still
        ahead is left alone, so an early or duplicated queue message cannot run a job
        before its time.
        """
        if not job_ids:
            return []
        request = ClaimRequest(
            backend_name="",
            worker_id=worker_id,
            limit=len(job_ids),
            lease_seconds=lease_seconds,
            now=timezone.now(),
        )
        claimed = claim_jobs_by_id(self.using, job_ids, request, due_only=due_only)
        if claimed is NotImplemented:
            claimed = [
                job
                for job_id in job_ids
                if (job := self._claim_by_orm(job_id, request, due_only=due_only))
            ]
        order: dict[str, int] = {}
        for place, job_id in enumerate(job_ids):
            order.setdefault(str(job_id), place)
        return sorted(claimed, key=lambda job: order[str(job.pk)])

    def _claim_by_orm(self, job_id: Any, request: ClaimRequest, *, due_only: bool) -> Job | None:
        """``claim_jobs_by_id`` for vendors without ``UPDATE ... RETURNING``: compare and set."""
        now = request.now
        ready = self.jobs.filter(pk=job_id, status=JobStatus.READY)
        job = (ready.filter(run_after__lte=now) if due_only else ready).first()
        if job is None:
            return None
        changes = {
            "status": JobStatus.RUNNING,
            "attempts": job.attempts + 1,
            "worker_ids": [*job.worker_ids, request.worker_id],
            "worker_id": request.worker_id,
            "started_at": job.started_at or now,
            "last_attempted_at": now,
            "lease_expires_at": request.lease_expires_at,
        }
        claimed = self.jobs.filter(pk=job.pk, status=JobStatus.READY, attempts=job.attempts).update(
            **changes
        )
        if not claimed:
            return None
        for name, value in changes.items():
            setattr(job, name, value)
        return job

    def paused_queues(self, backend_name: str) -> list[str]:
        return list(
            Queue.objects.using(self.using)
            .filter(backend_name=backend_name, paused=True)
            .values_list("name", flat=True)
        )

    # -- outcomes (fenced) ------------------------------------------------------

    def _fenced(self, job: Job) -> Any:
        return self.jobs.filter(
            pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts, worker_id=job.worker_id
        )

    def succeed(self, job: Job, return_value: Any) -> bool:
        """Mark ``job`` SUCCESSFUL now; False when its run had lost the lease."""
        return bool(self._succeed_many([(job, return_value)]))

    def succeed_then(self, job: Job, return_value: Any, then: Then) -> None:
        """Mark ``job`` SUCCESSFUL, then call ``then(written)``.

        Without group commit the write happens now and ``then`` runs before this
        returns; with it, the success joins the next batch (see ``acks.py``).
        """
        if self._acks is None:
            then(self.succeed(job, return_value))
        else:
            self._acks.succeed(job, return_value, then)

    def _succeed_many(self, outcomes: Sequence[tuple[Job, Any]]) -> set[Any]:
        """Fenced success writes for a batch in one transaction; the ids that were written."""
        written = retry_on_disconnect(self.using, lambda: write_successes(self.using, outcomes))
        for job, _value in outcomes:
            if job.pk not in written:
                logger.warning("Job %s: result of a run that lost its lease was discarded", job.pk)
        return written

    def fail(self, job: Job, exc: BaseException) -> bool:
        return self._finish(job, JobStatus.FAILED, errors=[*job.errors, self._entry(job, exc)])

    def cancelled(self, job: Job, exc: BaseException) -> bool:
        """Record that a running job stopped because an operator cancelled it."""
        return self._finish(job, JobStatus.CANCELLED, errors=[*job.errors, self._entry(job, exc)])

    def cancel_requested(self, worker_id: str, job_ids: Sequence[Any]) -> list[Any]:
        """Which of this worker's running jobs an operator has asked to stop."""
        return list(
            self.jobs.filter(
                pk__in=job_ids, status=JobStatus.RUNNING, worker_id=worker_id, cancel_requested=True
            ).values_list("pk", flat=True)
        )

    def retry(self, job: Job, exc: BaseException, delay: float) -> bool:
        now = timezone.now()
        return self._write(
            job,
            status=JobStatus.READY,
            run_after=now + timedelta(seconds=delay),
            errors=[*job.errors, self._entry(job, exc, now)],
            **_DONE,
        )

    def release(self, job: Job) -> bool:
        """Hand a job back unfinished (shutdown): READY at once, its attempt still counted."""
        changes = {
            "status": JobStatus.READY,
            "run_after": timezone.now(),
            "dispatched_at": None,
            **_DONE,
        }
        return retry_on_disconnect(self.using, lambda: self._fenced(job).update(**changes)) == 1

    def _finish(self, job: Job, status: str, **changes: Any) -> bool:
        return self._write(
            job,
            status=status,
            finished_at=timezone.now(),
            active_unique_key=None,
            **_DONE,
            **changes,
        )

    def _write(self, job: Job, **changes: Any) -> bool:
        written = retry_on_disconnect(self.using, lambda: self._fenced(job).update(**changes)) == 1
        if written:
            for name, value in changes.items():
                setattr(job, name, value)
        else:
            logger.warning("Job %s: result of a run that lost its lease was discarded", job.pk)
        return written

    @staticmethod
    def _entry(job: Job, exc: BaseException, now: datetime | None = None) -> dict:
        return error_entry(
            exc, attempt=job.attempts, worker_id=job.worker_id, at=now or timezone.now()
        )

    # -- leases -----------------------------------------------------------------

    def extend_leases(self, worker_id: str, job_ids: Sequence[Any], lease_seconds: float) -> int:
        """Renew the leases of the jobs this worker knows it is running.

        Only the given ids: a claim whose response was lost (connection dropped)
        is not renewed, so it expires and is rescued instead of being held forever.
        """
        expires = timezone.now() + timedelta(seconds=lease_seconds)
        return self.jobs.filter(
            pk__in=job_ids, status=JobStatus.RUNNING, worker_id=worker_id
        ).update(lease_expires_at=expires)

    def recover_expired(self) -> tuple[int, int]:
        """Rescue jobs whose lease ran out: READY if attempts remain, else FAILED.

        Returns ``(rescued, failed)``. Safe to run from many workers at once.
        """
        now = timezone.now()
        rescued = failed = 0
        for job in self.jobs.lease_expired(now)[:RECOVERY_BATCH]:
            lost = WorkerLost(f"worker {job.worker_id} stopped heartbeating while running the job")
            errors = [
                *job.errors,
                error_entry(lost, attempt=job.attempts, worker_id=job.worker_id, at=now),
            ]
            fence = self.jobs.filter(
                pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts, lease_expires_at__lt=now
            )
            if job.attempts >= job.max_attempts:
                failed += fence.update(
                    status=JobStatus.FAILED,
                    finished_at=now,
                    errors=errors,
                    active_unique_key=None,
                    **_DONE,
                )
            else:
                rescued += fence.update(
                    status=JobStatus.READY,
                    run_after=now,
                    errors=errors,
                    dispatched_at=None,
                    **_DONE,
                )
        if rescued or failed:
            logger.warning("Recovered expired leases: %d back to READY, %d FAILED", rescued, failed)
        return rescued, failed

    # -- operator actions ---------------------------------------------------------

    def cancel(self, job_id: Any) -> Job:
        """Cancel a READY job; ask a RUNNING one to stop (it finishes as CANCELLED if it can)."""
        job = self.get(job_id)
        now = timezone.now()
        if job.status == JobStatus.READY:
            errors = [
                *job.errors,
                error_entry(
                    JobCancelled("cancelled"), attempt=job.attempts, worker_id=None, at=now
                ),
            ]
            if self.jobs.filter(pk=job.pk, status=JobStatus.READY).update(
                status=JobStatus.CANCELLED, finished_at=now, errors=errors, active_unique_key=None
            ):
                return self.get(job_id)
        elif job.status == JobStatus.RUNNING:
            self.jobs.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
            return self.get(job_id)
        raise InvalidTransition(
            f"Job {job.pk} is {job.status}; only READY or RUNNING jobs can be cancelled."
        )

    def run_now(self, job_id: Any) -> Job:
        """Make a READY job due at once (a scheduled job or a retry waiting for its backoff)."""
        if not self.jobs.filter(pk=job_id, status=JobStatus.READY).update(
            run_after=timezone.now(), dispatched_at=None
        ):
            job = self.get(job_id)
            raise InvalidTransition(f"Job {job.pk} is {job.status}; only READY jobs can run now.")
        return self.get(job_id)

    def requeue(self, job_id: Any) -> Job:
        """Run a finished job again with the same arguments, as one more attempt."""
        job = self.get(job_id)
        if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SUCCESSFUL):
            raise InvalidTransition(
                f"Job {job.pk} is {job.status}; only finished jobs can be requeued."
            )
        try:
            with transaction.atomic(using=self.using):
                updated = self.jobs.filter(pk=job.pk, status=job.status).update(
                    status=JobStatus.READY,
                    run_after=timezone.now(),
                    finished_at=None,
                    max_attempts=max(job.max_attempts, job.attempts + 1),
                    cancel_requested=False,
                    active_unique_key=job.unique_key,
                    dispatched_at=None,
                )
        except IntegrityError as exc:
            raise InvalidTransition(
                f"Job {job.pk} cannot be requeued: another unfinished job holds unique key "
                f"{job.unique_key!r}."
            ) from exc
        if not updated:
            raise InvalidTransition(f"Job {job.pk} changed state meanwhile; try again.")
        return self.get(job_id)

    def get(self, job_id: Any) -> Job:
        return self.jobs.get(pk=job_id)
