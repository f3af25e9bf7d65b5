"""The job pool: threads run what it holds, and it claims ahead only while jobs finish fast."""

import threading

from django_jobs.worker import pool as pool_module
from django_jobs.worker.pool import JobPool, RecentCount


class FakeJob:
    def __init__(self, pk):
        self.pk = pk


class BlockingRun:
    """A pool's job function that records each job it starts and blocks until released."""

    def __init__(self):
        self.started = threading.Event()
        self.release = threading.Event()
        self.ran = []

    def __call__(self, job):
        self.ran.append(job.pk)
        self.started.set()
        self.release.wait(5)


def pool_running(run, first, *, ahead):
    """A one-thread pool whose thread has started ``first`` (a job pk) and is held by ``run``."""
    pool = JobPool(1, run, ahead=ahead)
    pool.submit(FakeJob(first))
    assert run.started.wait(5)
    return pool


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_recent_count_covers_the_last_window_and_forgets_older_ones():
    clock = Clock()
    recent = RecentCount(0.1, clock)
    assert recent.value() == 0
    for _ in range(3):
        recent.add()
    assert recent.value() == 3
    clock.now += 0.1  # the next window: the previous one still counts
    recent.add()
    assert recent.value() == 3
    clock.now += 0.1
    assert recent.value() == 1
    clock.now += 0.25  # two windows without events
    assert recent.value() == 0


def test_a_pool_whose_jobs_are_slow_claims_nothing_ahead():
    run = BlockingRun()
    pool = JobPool(2, run, ahead=8)
    try:
        assert pool.free_slots() == 2
        pool.submit(FakeJob(1))
        pool.submit(FakeJob(2))
        assert pool.free_slots() == 0  # nothing finished lately: no job waits behind slow ones
        pool.wait_for_slot(timeout=0.05)
        assert pool.free_slots() == 0
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)


def test_a_pool_whose_jobs_finish_fast_claims_ahead_up_to_its_limit(monkeypatch):
    monkeypatch.setattr(pool_module, "AHEAD_WINDOW", 60.0)  # a slow CI machine stays in it
    pool = JobPool(2, lambda job: None, ahead=3)
    for n in range(2):
        pool.submit(FakeJob(n))
    assert pool.wait_idle(timeout=5)
    assert pool.free_slots() == 2 + 2  # two finished within the window
    for n in range(2, 12):
        pool.submit(FakeJob(n))
    assert pool.wait_idle(timeout=5)
    assert pool.free_slots() == 2 + 3  # never more than ``ahead``


def test_while_every_thread_has_a_next_job_the_pool_claims_only_batches(monkeypatch):
    """Room for one or two more jobs is not worth a claim statement of its own."""
    monkeypatch.setattr(pool_module, "AHEAD_WINDOW", 60.0)
    run = BlockingRun()
    pool = JobPool(1, lambda job: job.pk == "slow" and run(job), ahead=8)
    for n in range(8):
        pool.submit(FakeJob(n))
    assert pool.wait_idle(timeout=5)  # 8 finished fast: 8 may wait ahead
    pool.submit(FakeJob("slow"))
    assert run.started.wait(5)
    try:
        pool.submit(FakeJob("next"))
        assert pool.free_slots() == 1 + 8 - 2
        for n in range(4):
            pool.submit(FakeJob(f"ahead-{n}"))
        assert pool.free_slots() == 0  # room for 3, less than half of what may wait ahead
        pool.wait_for_slot(timeout=0.05)
        assert pool.free_slots() == 0
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)
    assert pool.free_slots() == 1 + 8


def test_jobs_waiting_for_a_thread_are_held_like_running_ones():
    """The heartbeat renews, and shutdown hands back, what waits as well as what runs."""
    run = BlockingRun()
    pool = pool_running(run, "running", ahead=1)
    try:
        pool.submit(FakeJob("waiting"))
        assert sorted(job.pk for job in pool.running_jobs()) == ["running", "waiting"]
        assert pool.busy == 2
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)
    assert pool.running_jobs() == []


def test_no_room_is_left_when_more_jobs_wait_than_the_pool_may_hold_now():
    """Jobs claimed ahead while jobs finished fast outnumber the room once they stop."""
    run = BlockingRun()
    pool = pool_running(run, "slow", ahead=2)
    try:
        pool.submit(FakeJob("a"))
        pool.submit(FakeJob("b"))
        assert pool.free_slots() == 0  # 3 held, room for 1: not -2, which SQLite reads as all
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)


def test_jobs_kept_waiting_by_slow_ones_are_taken_back_and_never_run():
    run = BlockingRun()
    pool = pool_running(run, "slow", ahead=2)
    try:
        pool.submit(FakeJob("a"))
        pool.submit(FakeJob("b"))
        assert pool.take_back_waiting(longer_than=60) == []  # not stale yet
        taken = pool.take_back_waiting(longer_than=0)
        assert [job.pk for job in taken] == ["a", "b"]  # oldest first; the running one stays
        assert [job.pk for job in pool.running_jobs()] == ["slow"] and pool.busy == 1
        again = FakeJob("a")  # claimed again later: this one runs, the stale entry does not
        pool.submit(again)
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)
    assert run.ran == ["slow", "a"] and pool.busy == 0 and pool.running_jobs() == []


def test_a_finished_job_wakes_the_claiming_thread_only_once_there_is_room(monkeypatch):
    """Not once per finished job: the claiming thread would wake for nothing in between."""
    monkeypatch.setattr(pool_module, "AHEAD_WINDOW", 60.0)
    gates = {n: threading.Event() for n in range(9)}
    pool = JobPool(1, lambda job: job.pk in gates and gates[job.pk].wait(5), ahead=8)
    for n in range(8):
        pool.submit(FakeJob(f"fast-{n}"))
    assert pool.wait_idle(timeout=5)  # 8 finished fast: 8 may wait ahead
    for n in gates:
        pool.submit(FakeJob(n))
    wakes = []
    notify_all = pool._changed.notify_all
    monkeypatch.setattr(pool._changed, "notify_all", lambda: wakes.append(1) or notify_all())

    def finish(n):
        gates[n].set()
        for _ in range(500):
            with pool._changed:  # the finishing thread's whole update is done
                if pool.busy == 8 - n:
                    return
            threading.Event().wait(0.01)
        raise AssertionError(f"job {n} did not finish")

    for n in range(3):
        finish(n)
    assert wakes == []  # room for 3: less than half of what may wait ahead
    assert pool.free_slots() == 0
    finish(3)
    assert wakes == [1]
    assert pool.free_slots() == 4
    for n in range(4, 9):
        finish(n)
    assert pool.wait_idle(timeout=5)


def test_jobs_handed_over_to_idle_threads_have_started_when_it_returns(monkeypatch):
    """The claiming thread waits for them, so its next claim does not hold up their start."""
    monkeypatch.setattr(pool_module, "HANDOVER_WAIT", 60.0)  # only their start ends the wait
    run = BlockingRun()
    pool = JobPool(2, run, ahead=0)
    try:
        pool.hand_over([FakeJob("a"), FakeJob("b")])
        assert pool.waiting == 0 and pool.busy == 2
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)
    assert sorted(run.ran) == ["a", "b"]


def test_jobs_handed_over_to_a_busy_pool_are_not_waited_for(monkeypatch):
    """No idle thread would take them: the claiming thread goes on at once."""
    monkeypatch.setattr(pool_module, "HANDOVER_WAIT", 60.0)
    run = BlockingRun()
    pool = pool_running(run, "slow", ahead=2)
    try:
        handing = threading.Thread(target=pool.hand_over, args=([FakeJob("next")],))
        handing.start()
        handing.join(5)
        assert not handing.is_alive()
        assert pool.waiting == 1 and pool.busy == 2
    finally:
        run.release.set()
    assert pool.wait_idle(timeout=5)
    assert run.ran == ["slow", "next"]


def test_handing_over_nothing_returns_at_once(monkeypatch):
    monkeypatch.setattr(pool_module, "HANDOVER_WAIT", 60.0)
    pool = JobPool(1, lambda job: None)
    handing = threading.Thread(target=pool.hand_over, args=([],))
    handing.start()
    handing.join(5)
    assert not handing.is_alive()
