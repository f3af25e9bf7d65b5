"""Huey mode: jobs travel through Redis with huey; the ``Job`` table keeps the guarantees.

Enqueue stores the row, its publication already reserved, then publishes the
job's id after commit (an outbox: a rollback publishes nothing, and a job whose
publish failed because Redis was down is published later by the worker's sweep),
by default from the process's publisher thread (``publisher.py``), so enqueue does
not wait for Redis. A worker (``worker/huey_runner.py``) takes messages in batches,
claims their rows with a compare-and-set and runs the jobs through the execution
layer, so a message delivered twice runs its job once; a message that does not come
from this project is refused (see ``redis.py``). The huey task each message names,
the *shim*, does the same for one message where huey itself executes it
(``run_until_empty()``).
"""

import datetime
import functools
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, partial
from itertools import repeat
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from django.core import checks
from django.core.signals import setting_changed
from django.db import DatabaseError, connections, transaction
from django.dispatch import receiver
from django.utils import timezone

from django_jobs.backends.ahead import Ahead
from django_jobs.backends.base import JobsBackend
from django_jobs.backends.publisher import Publisher
from django_jobs.backends.redis import SignedJSONSerializer, connection_pool
from django_jobs.conf import get_settings

if TYPE_CHECKING:
    from django_jobs.models import Job
    from django_jobs.store import JobStore

logger = logging.getLogger("django_jobs")

SHIM_NAME = "django_jobs.run"
PUBLISH_AFTER = 5.0  # seconds an unpublished job waits for its on-commit publish
PUBLISH_CHOICES = ("background", "inline")  # OPTIONS["PUBLISH"]: publisher thread, or enqueue
REVOKE_KEY_PREFIX = "r:"  # huey's Task.revoke_id
ZADD_MEMBERS = 1000  # messages per ZADD when publishing a batch
# Jobs in an ``enqueue_many`` batch from which its messages are signed during its INSERT
# (``prepare_alike``): starting the thread costs about what signing 100 messages does.
SIGN_AHEAD_FROM = 500
JOB_ID_SLOT = "\x00job id\x00"  # where a message template takes the job's id (none has a NUL)

_hueys: dict[tuple[str, str], Any] = {}
_shims: dict[tuple[str, str], Any] = {}
# The message template of jobs due at once, by backend alias, queue and priority.
_due_now_templates: dict[tuple[str, str, int], Callable[[str], bytes]] = {}
_hueys_lock = threading.Lock()


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TASKS", "CACHES", "SECRET_KEY"):
        _hueys.clear()
        _shims.clear()
        _due_now_templates.clear()


class Outgoing(NamedTuple):
    """Jobs to publish that share a queue, a priority and a due time, by id.

    What the publisher holds: one per job of ``enqueue()``, one for a whole batch of
    ``enqueue_many()``, whose thousands of jobs then cost the publisher nothing each
    but their ids (no ``Job`` objects, no objects for Python's collector to walk).
    """

    pks: list[Any]
    queue_name: str
    priority: int
    run_after: datetime.datetime
    signed: Ahead[list[tuple[bytes, int]]] | None = None  # the messages, signed during the INSERT

    @classmethod
    def each(cls, jobs: Iterable["Job"]) -> list["Outgoing"]:
        """One per job."""
        return [cls([job.pk], job.queue_name, job.priority, job.run_after) for job in jobs]


class Runtime:
    """The shim's worker id and store, made on first use."""

    def __init__(self) -> None:
        self.worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-huey"

    @cached_property
    def store(self) -> "JobStore":
        from django_jobs.store import JobStore

        return JobStore()


runtime = Runtime()


class HueyBackend(JobsBackend):
    """Jobs published to Redis through huey, one huey queue per Django queue name."""

    worker_kind = "huey"
    known_options: ClassVar[frozenset[str]] = frozenset(
        {"REDIS_URL", "CONNECTION", "PREFIX", "PUBLISH"}
    )

    @property
    def prefix(self) -> str:
        return self.options.get("PREFIX") or f"django_jobs.{self.alias}"

    def huey(self, queue_name: str) -> Any:
        """The huey instance of one queue (built once per process, never at import).

        Read without the lock once built: workers and the publisher ask for it for
        every message they handle.
        """
        key = (self.alias, queue_name)
        if (built := _hueys.get(key)) is not None:
            return built
        with _hueys_lock:
            if key not in _hueys:
                _hueys[key] = self._build_huey(queue_name)
            return _hueys[key]

    def _build_huey(self, queue_name: str) -> Any:
        from huey.registry import Message

        huey = _huey_class()(
            name=f"{self.prefix}.{queue_name}",
            connection_pool=connection_pool(self.alias, self.options),
            results=False,
            utc=True,
            serializer=SignedJSONSerializer(Message),
            clean_name=False,  # huey would map "data-sync" and "datasync" to one key
        )
        _shims[(self.alias, queue_name)] = huey.task(name=SHIM_NAME, retries=0)(
            partial(run_published_job, self.alias)
        )
        return huey

    # -- publishing ------------------------------------------------------------

    def dispatch(self, job: "Job", store: "JobStore") -> "Job":
        """Publish on commit; a job stored unreserved (requeued, run now) is reserved first."""
        if job.dispatched_at is None:
            if not store.reserve_dispatch(job.pk):
                return job  # a sweep reserved it meanwhile, and publishes it
            job.dispatched_at = timezone.now()
        outgoing = Outgoing.each([job])
        transaction.on_commit(partial(self._committed, outgoing, store), using=store.using)
        return job

    def publish(self, job: "Job", store: "JobStore") -> bool:
        """Put the job's id on its huey queue and mark it; on failure leave it to the sweep."""
        if self.send_many(Outgoing.each([job])):
            store.undo_dispatch(job.pk)
            return False
        self._mark_sent([job.pk], store)
        return True

    def prepare_alike(
        self, template: "Job", ids: list[Any]
    ) -> Ahead[list[tuple[bytes, int]]] | None:
        """Sign a big batch's messages on a thread of their own while its INSERT runs.

        Signing is most of a send's time, which otherwise starts after the commit;
        a batch signed but rolled back is never sent.
        """
        if len(ids) < SIGN_AHEAD_FROM:
            return None
        batch = Outgoing(ids, template.queue_name, template.priority, template.run_after)
        sign = partial(self._messages, template.queue_name, [batch], timezone.now())
        return Ahead(sign, name="django-jobs-signer")

    def dispatch_alike(
        self,
        template: "Job",
        ids: list[Any],
        arguments: list[Any],
        store: "JobStore",
        prepared: Ahead[list[tuple[bytes, int]]] | None = None,
    ) -> None:
        """On commit, publish the batch as one ``Outgoing``: no ``Job`` objects are built."""
        outgoing = [
            Outgoing(ids, template.queue_name, template.priority, template.run_after, prepared)
        ]
        transaction.on_commit(partial(self._committed, outgoing, store), using=store.using)

    def _committed(self, outgoing: list[Outgoing], store: "JobStore") -> None:
        """Jobs whose INSERT has committed: publish them, here or in the publisher thread.

        Here when ``PUBLISH`` is "inline", and when the commit callbacks run inside a
        transaction still open (a ``TestCase``'s): no other connection sees the rows yet.
        """
        inline = self.options.get("PUBLISH", "background") == "inline"
        if inline or connections[store.using].in_atomic_block:
            if unsent := self.send_many(outgoing):
                store.undo_dispatch_many(unsent)
        else:
            process_publisher.submit(self, store.using, outgoing)

    def publish_many(self, jobs: Sequence["Job"], store: "JobStore") -> int:
        """``publish()`` for a batch, one round trip per queue; the sweep sends what failed."""
        unsent = set(self.send_many(Outgoing.each(jobs)))
        self._mark_sent([job.pk for job in jobs if job.pk not in unsent], store)
        return len(jobs) - len(unsent)

    @staticmethod
    def _mark_sent(job_ids: list[Any], store: "JobStore") -> None:
        """Record jobs as on Redis. The database may have gone since the send (a restart):
        unmarked, the sweep sends them again, and the claim runs each once."""
        try:
            store.mark_dispatched_many(job_ids)
        except DatabaseError as exc:
            logger.warning(
                "%d published job(s) not marked as sent (%s); the sweep may send them again",
                len(job_ids),
                exc,
            )

    def send_many(self, outgoing: Sequence[Outgoing]) -> list[Any]:
        """Send jobs to Redis, one round trip per queue; return the ids of those not sent.

        A batch whose send failed may still have reached Redis: the sweep sends its
        jobs again, and the shim's claim runs each once.
        """
        by_queue: dict[str, list[Outgoing]] = {}
        for alike in outgoing:
            by_queue.setdefault(alike.queue_name, []).append(alike)
        unsent: list[Any] = []
        now = timezone.now()
        for queue_name, batches in by_queue.items():
            try:
                since = int(time.time() * 1e6)  # before the messages: see enqueue_many
                messages = self._messages(queue_name, batches, now)
                self.huey(queue_name).storage.enqueue_many(messages, since)
            except Exception as exc:  # noqa: BLE001 - Redis down must not fail the enqueue
                ids = [pk for alike in batches for pk in alike.pks]
                logger.warning(
                    "%d job(s) not published (%s); the worker's sweep will retry", len(ids), exc
                )
                unsent += ids
        return unsent

    def _shim_task(self, queue_name: str) -> Any:
        """The task class of the queue's shim (built with the queue's huey on first use)."""
        self.huey(queue_name)
        return _shims[(self.alias, queue_name)].task_class

    def _messages(
        self, queue_name: str, batches: list[Outgoing], now: datetime.datetime
    ) -> list[tuple[bytes, int]]:
        """Each job's signed message and priority, ready for ``JobsStorage.enqueue_many``.

        A job's message is the queue's shim task with the job's id as its argument
        (and as the message's id), due at the job's ``run_after``. Jobs of one due
        time and priority share a template, encoded once (``_message_template``): each
        job's message is the template with its id filled in, signed. Huey's ENQUEUED
        signal is not sent: huey is the transport here, and Django's ``task_enqueued``
        announces the job. A batch signed during its INSERT (``prepare_alike``) brings its messages.
        """
        fill: dict[tuple[datetime.datetime | None, int], Callable[[str], bytes]] = {}
        messages = []
        for alike in batches:
            if alike.signed is not None:
                messages += alike.signed.result()
                continue
            eta = alike.run_after if alike.run_after > now else None
            key = (eta, alike.priority)
            if key not in fill:
                fill[key] = self._message_template(queue_name, eta, alike.priority)
            sign, priority = fill[key], alike.priority
            messages += [(sign(str(pk)), priority) for pk in alike.pks]
        return messages

    def _message_template(
        self, queue_name: str, eta: datetime.datetime | None, priority: int
    ) -> Callable[[str], bytes]:
        """The queue's message for one due time and priority, taking a job id (``_messages``).

        Most jobs are due at once: their templates are kept, as building one costs
        twice what signing a message does, and a lone job is sent as soon as it is
        enqueued.
        """
        if eta is None:
            key = (self.alias, queue_name, priority)
            if key not in _due_now_templates:
                _due_now_templates[key] = self._new_message_template(queue_name, None, priority)
            return _due_now_templates[key]
        return self._new_message_template(queue_name, eta, priority)

    def _new_message_template(
        self, queue_name: str, eta: datetime.datetime | None, priority: int
    ) -> Callable[[str], bytes]:
        shim, huey = self._shim_task(queue_name), self.huey(queue_name)
        task = shim(
            (JOB_ID_SLOT,),
            {},
            id=JOB_ID_SLOT,
            eta=eta.astimezone(datetime.UTC).replace(tzinfo=None) if eta else None,
            priority=priority,
        )
        return huey.serializer.serializer_for(huey._registry.create_message(task), JOB_ID_SLOT)

    def sweep(self, store: "JobStore", *, older_than: float = PUBLISH_AFTER) -> int:
        """Publish what should be on Redis and is not: the outbox and lost messages.

        Safe to run from many workers at once: a job is reserved before it is sent.
        """
        sent = 0
        for job in store.undispatched(self.alias, older_than=older_than, limit=500):
            if store.reserve_dispatch(job.pk):
                sent += self.publish(job, store)
        for queue_name in self._queues_with_empty_redis_queue(store):
            for job_id in store.stale_dispatched(
                self.alias, queue_name, older_than=2 * get_settings().LEASE_SECONDS
            ):
                sent += self.publish(store.get(job_id), store)
        return sent

    def _queues_with_empty_redis_queue(self, store: "JobStore") -> list[str]:
        # A due job published long ago whose queue is empty lost its message (e.g. Redis
        # restarted without persistence). A non-empty queue just means a backlog.
        queues = store.queues_with_due_jobs(self.alias)
        return [q for q in queues if self.huey(q).storage.queue_size() == 0]

    def run_queued(self, store: "JobStore", *, include_scheduled: bool, max_jobs: int) -> int:
        """For tests: take this backend's messages off Redis and run them in this thread."""
        far_future = datetime.datetime(9999, 1, 1)
        ran = 0
        queues = set(self.queues) | set(
            store.jobs.filter(backend_name=self.alias).values_list("queue_name", flat=True)
        )
        process_publisher.flush()  # what the publisher thread holds, not sent twice by the sweep
        self._send_reserved_not_on_redis(store, queues)
        while ran < max_jobs:
            self.sweep(store, older_than=0)
            ran_before = ran
            for queue_name in sorted(queues):
                huey = self.huey(queue_name)
                if include_scheduled:
                    for task in huey.read_schedule(far_future):
                        huey.enqueue(task)
                while ran < max_jobs and huey.storage.queue_size():
                    task = _dequeue(huey)
                    if task is not None:
                        ran += run_published_job(
                            self.alias, task.args[0], due_only=not include_scheduled
                        )
            if ran == ran_before:
                return ran
        return ran

    def _send_reserved_not_on_redis(self, store: "JobStore", queues: set[str]) -> None:
        """For tests: send the reserved READY jobs whose message is not on Redis.

        A ``TestCase`` never commits, so no publish on commit runs: its jobs stay
        reserved and unsent, as a process killed before its send leaves them (the
        sweep sends those once their queue is empty and they are two leases old).
        """
        for queue_name in queues:
            huey = self.huey(queue_name)
            items = [*huey.storage.enqueued_items(), *huey.storage.scheduled_items()]
            on_redis = {str(job_id) for job_id in map(_job_id_of, repeat(huey), items)}
            reserved = store.jobs.ready().filter(
                backend_name=self.alias, queue_name=queue_name, dispatched_at__isnull=False
            )
            self.send_many(Outgoing.each(job for job in reserved if str(job.pk) not in on_redis))

    # -- checks -----------------------------------------------------------------

    def check(self, **kwargs: Any) -> Any:
        yield from super().check(**kwargs)
        yield from check_huey_options(self.alias, self.options)


@functools.cache
def _huey_class() -> type:
    """huey's ``PriorityRedisHuey`` with batch enqueue and without revocation.

    Where huey executes a task itself, it reads the task's revoke keys before and
    deletes one after; django-jobs never revokes through huey (``cancel()`` works on
    the ``Job`` row, which is claimed with a compare-and-set), so those reads and
    deletes could only find nothing. Built on first use: huey is an optional dependency.
    """
    from huey import PriorityRedisHuey
    from huey import signals as huey_signals
    from huey.storage import PriorityRedisStorage

    class JobsStorage(PriorityRedisStorage):
        def enqueue_many(self, messages: list[tuple[bytes, int | None]], since: int) -> None:
            """``enqueue()`` for many messages in one round trip, in the same format.

            One ``ZADD`` per ``ZADD_MEMBERS`` messages: a command per message cost a
            sixth of the send in packing and reading replies. Each message gets its own
            microsecond prefix, counted up from ``since`` (taken before the first was
            serialised, which takes longer than a microsecond each), so the batch keeps
            its order and never sorts ahead of a message enqueued after it.
            """
            entries = [
                (struct.pack(">Q", since + offset) + data, -(priority or 0))
                for offset, (data, priority) in enumerate(messages)
            ]
            pipe = self.conn.pipeline(transaction=False)
            for start in range(0, len(entries), ZADD_MEMBERS):
                pipe.zadd(self.queue_key, dict(entries[start : start + ZADD_MEMBERS]))
            pipe.execute()

    class JobsHuey(PriorityRedisHuey):
        storage_class = JobsStorage

        def enqueue_many(self, tasks: list[Any]) -> None:
            """huey's ``enqueue()`` for many tasks (no results, no groups): one round trip."""
            since = int(time.time() * 1e6)
            for task in tasks:
                self._emit(huey_signals.SIGNAL_ENQUEUED, task)
            messages = [(self.serialize_task(task), task.priority) for task in tasks]
            self.storage.enqueue_many(messages, since)

        def is_revoked(self, task: Any, timestamp: Any = None, peek: bool = True) -> bool:  # noqa: FBT001, FBT002 - huey's signature
            return False

        def delete(self, key: str) -> bool:
            if key.startswith(REVOKE_KEY_PREFIX):
                return False
            return bool(super().delete(key))

    return JobsHuey


def _dequeue(huey: Any) -> Any:
    """The next task, or None for a message that cannot be read (dropped, as the consumer does)."""
    try:
        return huey.dequeue()
    except Exception as exc:  # noqa: BLE001 - huey's consumer also logs and goes on
        logger.warning("Queue %s: dropped a message that cannot be read: %s", huey.name, exc)
        return None


def _job_id_of(huey: Any, data: bytes) -> Any:
    """The job id a queued message names, or None for one that cannot be read."""
    try:
        return huey.deserialize_task(data).args[0]
    except Exception:  # noqa: BLE001 - garbage on the queue names no job
        return None


def run_published_job(alias: str, job_id: Any, *, due_only: bool = True) -> bool:
    """The shim: claim the job named by a queue message, run it, republish a retry.

    Returns whether a job ran. Never raises: huey would only log it, and the job's
    lease is what guarantees it is not lost.
    """
    from django_jobs.compat import task_backends
    from django_jobs.execution import Outcome, run_job

    store = runtime.store
    try:
        job = store.claim_one(
            job_id,
            worker_id=runtime.worker_id,
            lease_seconds=get_settings().LEASE_SECONDS,
            due_only=due_only,
        )
        if job is None:
            logger.info("Message for job %s ignored: not a due READY job (duplicate?)", job_id)
            return False
        outcome = run_job(job, store)
        if outcome is Outcome.RETRYING:
            backend = task_backends[alias]
            assert isinstance(backend, HueyBackend)
            backend.publish(job, store)
        return outcome is not Outcome.DISCARDED
    except Exception:
        logger.exception("Job %s: error in the huey shim; its lease will expire", job_id)
        return False


def _unreserve(using: str, job_ids: list[Any]) -> None:
    from django_jobs.store import JobStore

    JobStore(using).undo_dispatch_many(job_ids)


# Publishes committed jobs for every huey-mode backend of this process (``PUBLISH``
# "background", the default).
process_publisher = Publisher.for_process(HueyBackend.send_many, _unreserve)


def check_huey_options(alias: str, options: dict) -> list[checks.CheckMessage]:
    prefix = f"TASKS[{alias!r}]['OPTIONS']"
    problems = []
    try:
        import huey  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        problems.append(
            f"huey mode needs the huey and redis packages ({exc}); install django-jobs[huey]"
        )
    has_url, has_cache = bool(options.get("REDIS_URL")), bool(options.get("CONNECTION"))
    if has_url == has_cache:
        problems.append(f"{prefix} needs exactly one of REDIS_URL or CONNECTION")
    if has_url and not str(options["REDIS_URL"]).startswith(("redis://", "rediss://", "unix://")):
        problems.append(
            f"{prefix}['REDIS_URL'] must be a redis:// URL, got: {options['REDIS_URL']!r}"
        )
    if has_cache:
        problems.extend(_cache_problems(prefix, options["CONNECTION"]))
    if options.get("PUBLISH", "background") not in PUBLISH_CHOICES:
        problems.append(
            f"{prefix}['PUBLISH'] must be one of {', '.join(map(repr, PUBLISH_CHOICES))}, "
            f"got: {options['PUBLISH']!r}"
        )
    return [checks.Error(p, id="django_jobs.E020") for p in problems]


def _cache_problems(prefix: str, cache_alias: str) -> list[str]:
    from django.conf import settings

    cache = settings.CACHES.get(cache_alias)
    if cache is None:
        return [f"{prefix}['CONNECTION'] names cache {cache_alias!r}, which is not in CACHES"]
    if not cache.get("BACKEND", "").startswith("django_redis."):
        return [f"{prefix}['CONNECTION'] cache {cache_alias!r} is not a django-redis cache"]
    try:
        import django_redis  # noqa: F401
    except ImportError:
        return ["CONNECTION needs the django-redis package"]
    return []
