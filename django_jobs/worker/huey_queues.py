"""Reading huey's Redis queues for a huey-mode worker: take, wait, put back, schedule.

Messages are taken with ``ZPOPMIN`` (highest priority, then oldest, first) and kept
as they were stored, prefix and score, so those a failed claim cannot use go back to
their places. A message not due yet (huey's ``eta``: a delay or a retry's backoff)
goes to its queue's huey schedule; ``ScheduledMessageMover`` moves due ones back once
a second with huey's atomic script, so of many workers one moves each.

Taking is reliable, as Sidekiq's super_fetch and BullMQ's active list are: the script that
takes a batch also records it in the worker's *taken* hash (member -> score and queue key)
and the worker's id in the backend's *takers* set, and forgets the previous batch, which
its claim has settled by then (claimed, dropped, scheduled or put back). A worker killed
between taking and claiming leaves its batch recorded (a message the blocking wait took is
recorded by a script sent ahead of its claim, ``taking_held``); once its heartbeat is a lease
old, ``recover_abandoned`` (every worker's maintenance tick) puts those messages back in their
places. A message a settled batch recorded comes back at most as a duplicate, which the
claim by id drops.
"""

import datetime
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from django_jobs.backends.huey import HueyBackend
from django_jobs.models import Job

logger = logging.getLogger("django_jobs")

WAIT_SLICE = 0.5  # the longest an idle worker blocks on Redis before checking for a stop
MOVE_EVERY = 1.0  # seconds between two moves of due scheduled messages to their queues
HUEY_PREFIX_BYTES = 8  # huey's ordering prefix before each queued message

# KEYS: the worker's taken hash, the takers set, then its queues. ZPOPMIN from each queue
# in turn until ARGV[1] messages are taken: one round trip instead of one per queue. The
# previous batch is forgotten; this one is recorded (member -> "score queue key") with the
# messages held from waiting (ARGV[3...]: member, record pairs), and the worker
# (ARGV[2]) noted as a taker. Returns (queue number, member, score) triples.
TAKE_SCRIPT = """
local wanted = tonumber(ARGV[1])
local taken = {}
redis.call('DEL', KEYS[1])
for at = 3, #ARGV, 2 do
    redis.call('HSET', KEYS[1], ARGV[at], ARGV[at + 1])
end
for number = 3, #KEYS do
    if wanted <= 0 then break end
    local popped = redis.call('ZPOPMIN', KEYS[number], wanted)
    for at = 1, #popped, 2 do
        redis.call('HSET', KEYS[1], popped[at], popped[at + 1] .. ' ' .. KEYS[number])
        taken[#taken + 1] = number - 2
        taken[#taken + 1] = popped[at]
        taken[#taken + 1] = popped[at + 1]
    end
    wanted = wanted - #popped / 2
end
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('SADD', KEYS[2], ARGV[2])
end
return taken
"""

# KEYS: a lost worker's taken hash, the takers set; ARGV[1]: its id, ARGV[2]: what the
# backend's queue keys start with. Every message it recorded goes back to its queue with
# its score (a record naming any other key is skipped); returns how many went back.
RECOVER_SCRIPT = """
local entries = redis.call('HGETALL', KEYS[1])
local back = 0
for at = 1, #entries, 2 do
    local record = entries[at + 1]
    local space = string.find(record, ' ', 1, true)
    local key = space and string.sub(record, space + 1) or ''
    if string.sub(key, 1, #ARGV[2]) == ARGV[2] then
        redis.call('ZADD', key, string.sub(record, 1, space - 1), entries[at])
        back = back + 1
    end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return back
"""


@dataclass(frozen=True, slots=True)
class Message:
    """A queue entry as taken from Redis, so it can go back exactly as it was."""

    queue: str
    member: bytes  # huey's ordering prefix, then the signed message
    score: float  # minus the priority


class QueueReader:
    """Takes messages off the worker's huey queues, waits for them, puts them back."""

    def __init__(self, backend: HueyBackend, queues: Iterable[str], *, worker_id: str) -> None:
        self.backend = backend
        self.queues = list(queues)
        self.worker_id = worker_id
        self._key_of = {name: self._storage(name).queue_key for name in self.queues}
        self._queue_of = {key: name for name, key in self._key_of.items()}
        self._first = 0
        self._conn = self._storage(self.queues[0]).conn
        self._take_script = self._conn.register_script(TAKE_SCRIPT)
        self._recover_script = self._conn.register_script(RECOVER_SCRIPT)
        self._takers_key = f"{backend.prefix}.takers"
        first = self.queues[0]  # huey's queue keys: a fixed start, then the queue's name
        self._queue_keys_start = self._key_of[first][: -len(first)]
        self.held: list[Message] = []  # taken while waiting, claimed on the next take

    def _storage(self, queue: str) -> Any:
        return self.backend.huey(queue).storage

    def take(self, limit: int, paused: Iterable[str] = ()) -> list[Message]:
        """Up to ``limit`` messages, what waiting took first, then queue by queue.

        One round trip (``TAKE_SCRIPT``) however many queues the worker serves, which
        also records what is handed out and still held. The queue taken from first
        turns each time, so one busy queue cannot keep the others waiting.
        """
        taken, self.held = self.held[:limit], self.held[limit:]
        skipped = set(paused)
        self._first = (self._first + 1) % len(self.queues)
        names = [
            name
            for name in self.queues[self._first :] + self.queues[: self._first]
            if name not in skipped
        ]
        wanted = limit - len(taken) if names else 0
        if not taken and not wanted:
            return []
        keys = self._record_keys() + [self._key_of[name] for name in names]
        popped = self._take_script(keys=keys, args=self._take_args(wanted, taken + self.held))
        for at in range(0, len(popped), 3):
            index, member, score = popped[at : at + 3]
            taken.append(Message(names[index - 1], member, float(score)))
        return taken

    @contextmanager
    def taking_held(self, limit: int) -> Iterator[list[Message]]:
        """Up to ``limit`` of the messages waiting took, recorded while the caller claims them.

        ``take`` records them too, but its round trip to Redis comes before the claim's
        to the database. Here the record (the take script asking for no more messages)
        is sent before the block and its reply read after it, so the two round trips
        overlap: the message that woke an idle worker starts that much sooner, and its
        record still leaves for Redis before its claim leaves for the database.
        """
        keys, args = self._record_keys(), self._take_args(0, self.held)
        pool = self._conn.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_command("EVALSHA", self._take_script.sha, len(keys), *keys, *args)
        except BaseException:
            connection.disconnect()
            pool.release(connection)
            raise
        taken, self.held = self.held[:limit], self.held[limit:]
        try:
            yield taken
        finally:
            try:
                connection.read_response()
            except NoScriptError:  # Redis has forgotten the script (a restart): record now
                self._take_script(keys=keys, args=args)
            except BaseException:
                connection.disconnect()
                raise
            finally:
                pool.release(connection)

    def _record_keys(self) -> list[str]:
        return [self._taken_key(self.worker_id), self._takers_key]

    def _take_args(self, wanted: int, held: list[Message]) -> list[Any]:
        """``TAKE_SCRIPT``'s arguments: how many to pop, and the held messages' records."""
        records = [part for m in held for part in (m.member, self._record(m))]
        return [wanted, self.worker_id, *records]

    def put_back(self, messages: list[Message]) -> None:
        """Return taken messages to their queues, with their places (prefix and score)."""
        for name in {message.queue for message in messages}:
            storage = self._storage(name)
            entries = {m.member: m.score for m in messages if m.queue == name}
            storage.conn.zadd(storage.queue_key, entries)

    def wait(self, timeout: float, stop: threading.Event, paused: Iterable[str] = ()) -> None:
        """Block until a message arrives (kept for the next ``take``), a stop, or timeout."""
        skipped = set(paused)
        keys = [key for key, name in self._queue_of.items() if name not in skipped]
        if not keys or stop.is_set():
            stop.wait(timeout)
            return
        storage = self._storage(self._queue_of[keys[0]])
        try:
            popped = storage.conn.bzpopmin(keys, timeout=min(timeout, WAIT_SLICE))
        except (RedisError, OSError) as exc:
            logger.warning("Cannot wait on Redis (%s); retrying", exc)
            stop.wait(min(timeout, WAIT_SLICE))
            return
        if popped:
            key, member, score = popped
            self.held.append(Message(self._queue_of[key.decode()], member, score))

    def forget_taken(self) -> None:
        """At a clean stop, once held messages are back: nothing of this worker's to recover."""
        pipe = self._conn.pipeline(transaction=False)
        pipe.delete(self._taken_key(self.worker_id))
        pipe.srem(self._takers_key, self.worker_id)
        pipe.execute()

    def recover_abandoned(self, live: Callable[[list[str]], set[str]]) -> int:
        """Put back the messages recorded by takers ``live`` does not name; how many.

        ``live`` gets the takers' ids and returns those of live workers. Safe to run
        from many workers at once: each lost worker's hash is emptied by one script.
        """
        takers = sorted(worker.decode() for worker in self._conn.smembers(self._takers_key))
        lost = set(takers) - live(takers) - {self.worker_id}
        return sum(
            int(
                self._recover_script(
                    keys=[self._taken_key(worker), self._takers_key],
                    args=[worker, self._queue_keys_start],
                )
            )
            for worker in sorted(lost)
        )

    def _taken_key(self, worker_id: str) -> str:
        return f"{self.backend.prefix}.taken.{worker_id}"

    def _record(self, message: Message) -> str:
        """What the taken hash keeps of a message: its score and its queue's key."""
        return f"{message.score!r} {self._key_of[message.queue]}"

    def read(self, messages: list[Message]) -> tuple[list[Message], list[Any]]:
        """The messages whose jobs are due and their ids; the others go to the schedule.

        Only the message itself is decoded (signature, task name, job id, eta): huey's
        task object, which the worker never runs, is not built. A message that cannot
        be read (not signed with this project's key, for another task, or naming
        no job) is dropped with a warning.
        """
        due, job_ids = [], []
        now = _huey_now()
        for message in messages:
            huey = self.backend.huey(message.queue)
            data = message.member[HUEY_PREFIX_BYTES:]
            try:
                body = huey.serializer.deserialize(data)
                huey._registry.string_to_task(body.name)  # the shim's, or HueyException
                job_id = Job._meta.pk.to_python(body.args[0])
            except Exception as exc:  # noqa: BLE001 - any unreadable message is dropped
                logger.warning(
                    "Queue %s: dropped a message that cannot be read: %s", huey.name, exc
                )
                continue
            if body.eta is None or body.eta <= now:
                due.append(message)
                job_ids.append(job_id)
            else:
                huey.storage.add_to_schedule(data, body.eta)
        return due, job_ids

    def move_due_scheduled(self) -> None:
        """Put scheduled messages that are due on their queues (one round trip each way)."""
        for name in self.queues:
            huey = self.backend.huey(name)
            if due := huey.read_schedule():
                huey.enqueue_many(due)


def _huey_now() -> datetime.datetime:
    """Now as huey compares etas (naive UTC: every django-jobs huey is built with ``utc=True``)."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class ScheduledMessageMover(threading.Thread):
    """A side loop: due scheduled messages back to their queues every ``MOVE_EVERY``."""

    def __init__(self, reader: QueueReader, stop: threading.Event) -> None:
        super().__init__(name="django-jobs-huey-schedule", daemon=True)
        self.reader, self.stop = reader, stop

    def run(self) -> None:
        while not self.stop.wait(MOVE_EVERY):
            try:
                self.reader.move_due_scheduled()
            except Exception as exc:  # noqa: BLE001 - Redis away: try again next time
                logger.warning("Cannot move due scheduled messages (%s); will retry", exc)
