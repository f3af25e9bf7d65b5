"""``unique_key`` under concurrent enqueue from many threads, while a worker finishes jobs.

At most one unfinished job per key at any time; right after a burst of
concurrent enqueues, exactly one. A key freed by a finishing job is taken again
by exactly one of the racing threads, and no caller ever sees an IntegrityError.
"""

import collections
import random
import time

import pytest

from django_jobs.models import Job
from tests import tasks
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

KEYS = [f"report:{n}" for n in range(20)]
THREADS = 12


def enqueue_every_key() -> dict[str, str]:
    """Enqueue one job per key, in a random order; the job id each enqueue returned."""
    return {
        key: tasks.add.using(unique_key=key).enqueue(1, 2).id
        for key in random.sample(KEYS, len(KEYS))
    }


def unfinished_per_key() -> collections.Counter:
    unfinished = Job.objects.filter(finished_at__isnull=True, unique_key__isnull=False)
    return collections.Counter(unfinished.values_list("unique_key", flat=True))


@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_concurrent_enqueues_keep_exactly_one_unfinished_job_per_key(drill):
    returned = run_concurrently(enqueue_every_key, THREADS)
    assert all(ids == returned[0] for ids in returned)  # every thread got the same job per key
    assert unfinished_per_key() == dict.fromkeys(KEYS, 1)

    drill.start()
    deadline = time.monotonic() + 120
    rounds = run_concurrently(lambda: _enqueue_while_the_worker_frees_keys(deadline), THREADS)
    assert sum(rounds) > THREADS  # keys were freed and taken again meanwhile
    assert drill.stop_all() == [0]
    assert set(unfinished_per_key().values()) <= {1}

    after = run_concurrently(enqueue_every_key, THREADS)
    assert all(ids == after[0] for ids in after)
    assert unfinished_per_key() == dict.fromkeys(KEYS, 1)
    assert Job.objects.filter(status="SUCCESSFUL").count() > len(KEYS)
    for job in Job.objects.all():
        assert job.active_unique_key == (None if job.finished_at else job.unique_key)


def _enqueue_while_the_worker_frees_keys(deadline: float) -> int:
    """Race for the keys until the worker has finished (freed) every key twice over.

    Counted in finished jobs rather than seconds, so a slow machine races as long as
    it takes; the deadline only bounds a broken run.
    """
    rounds = 0
    while Job.objects.filter(status="SUCCESSFUL").count() <= 2 * len(KEYS):
        assert time.monotonic() < deadline, "the worker finished too few jobs"
        enqueue_every_key()
        rounds += 1
    return rounds
