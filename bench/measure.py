"""The figures of one run: enqueue rate, drain rate, enqueue-to-start latency, bulk rate, RSS.

Every system runs the same job (``bench.jobs.mark``), which records in Redis when it
started and in which process; the drain is timed from the moment both worker processes
run jobs to the last job's start, so how long a system takes to boot its workers is not
counted (``drain_rates``), and latency is the job's own start time minus the moment
``enqueue()`` was called.
"""

import time
from dataclasses import dataclass

import redis

from bench.system import System
from bench.workers import WorkerGroup


@dataclass(frozen=True)
class Plan:
    jobs: int = 5000
    samples: int = 200
    gap: float = 0.015  # seconds between latency samples, workers idle in between
    rss_marks: tuple[int, ...] = (10_000, 50_000)
    timeout: float = 900.0


def one_run(system: System, client: redis.Redis, plan: Plan) -> dict:
    """Enqueue ``plan.jobs`` one by one, drain them with the workers, then sample latency."""
    if system.processes == 0:
        fresh(system, client)
        figures = {"enqueue": enqueue_one_by_one(system, plan.jobs)[0]}
        wait_for_done(client, plan.jobs, None, plan.timeout)
        figures.update(latency(system, client, plan, None))
    else:
        figures = enqueue_and_drain(system, client, plan)
        with WorkerGroup(system.worker_commands()) as workers:
            warm_up(system, client, workers)
            figures.update(latency(system, client, plan, workers))
    figures.update(bulk(system, client, plan))
    return figures


DRAINS = 3  # passes of a run whose drain is short, of which the median is the run's figure
SHORT_DRAIN = 10.0  # seconds: a drain this long or longer is taken once


def enqueue_and_drain(system: System, client: redis.Redis, plan: Plan) -> dict:
    """The run's enqueue and drain rates: ``plan.jobs`` enqueued one by one, workers stopped,
    then drained by fresh workers.

    The fastest rows drain 5,000 jobs in one to three seconds, and a virtual machine's
    speed moves within seconds, so one such drain, and the ratio of two rows' drains,
    can vary by more than the margins the targets are read against. A run whose first
    drain took under ``SHORT_DRAIN`` seconds makes ``DRAINS`` passes, each into an
    empty queue, and keeps the median of each figure, as ``bulk`` does for its short
    calls; every pass is kept too (``--json``). Longer drains average the movement out
    themselves; repeating them would add minutes to the slowest rows.
    """
    enqueued: list[float] = []
    drained: list[float] = []
    from_first: list[float] = []
    while not drained or (len(drained) < DRAINS and plan.jobs / drained[0] < SHORT_DRAIN):
        fresh(system, client)
        enqueued.append(enqueue_one_by_one(system, plan.jobs)[0])
        with WorkerGroup(system.worker_commands()) as workers:
            wait_for_done(client, plan.jobs, workers, plan.timeout)
        both_running, from_first_job = drain_rates(starts_by_process(client))
        drained.append(both_running)
        from_first.append(from_first_job)
    return {
        "enqueue": percentile(sorted(enqueued), 0.5),
        "drain": percentile(sorted(drained), 0.5),
        "enqueue_passes": enqueued,
        "drain_passes": drained,
        "drain_from_first_job_passes": from_first,
    }


def enqueue_one_by_one(system: System, jobs: int) -> tuple[float, float]:
    """Enqueue ``jobs`` one by one until sent: jobs/s, and this process's CPU us per job."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(jobs):
        system.enqueue(0.0)
    system.sent()
    seconds = time.perf_counter() - started
    return jobs / seconds, 1e6 * (time.process_time() - cpu) / jobs


def warm_up(system: System, client: redis.Redis, workers: WorkerGroup, jobs: int = 5) -> None:
    """Fresh workers, booted and past their first jobs, then idle: what latency is sampled on."""
    workers.settle()
    done = int(client.get("bench:done") or 0)
    for _ in range(jobs):
        system.enqueue(0.0)
    wait_for_done(client, done + jobs, workers, 120.0)
    workers.settle()


def fresh(system: System, client: redis.Redis) -> None:
    system.reset()
    client.flushdb()


WORKER_PROCESSES = 2  # the processes that run jobs, in every row with workers


def starts_by_process(client: redis.Redis) -> list[tuple[float, str]]:
    """Every job's start and the id of the process that ran it, in the order they started."""
    ran = [item.split() for item in client.lrange("bench:ran", 0, -1)]
    if not ran:
        raise RuntimeError("no benchmark job has recorded its start")
    return sorted((float(started), str(pid)) for pid, started in ran)


def drain_rates(starts: list[tuple[float, str]]) -> tuple[float, float]:
    """Jobs/s from the moment the second worker process started a job to the last start,
    and, for comparison, from the first job's start.

    Why not from the first job: the two worker processes boot side by side on the same
    two cores and one is often ready before the other (a Django worker's boot takes about
    a second of CPU); until the second starts jobs, the first drains alone, or beside the
    other's boot. How much of a drain that is depends on how the two boots fell, not on
    how the system drains. A process started later (django-q2 replaces its workers every
    500 jobs) does not move the start: it replaced one of the two.
    """
    seen: set[str] = set()
    opened = 0
    for index, (_, pid) in enumerate(starts):
        seen.add(pid)
        if len(seen) == WORKER_PROCESSES:
            opened = index
            break
    last = starts[-1][0]
    if (len(starts) - opened) * 2 < len(starts):
        raise RuntimeError(
            f"the second worker process started its first job after {opened} of "
            f"{len(starts)} jobs: a worker failed to start or to take jobs"
        )
    both_running = (len(starts) - opened) / (last - starts[opened][0])
    return both_running, len(starts) / (last - starts[0][0])


def latency(system: System, client: redis.Redis, plan: Plan, workers: WorkerGroup | None) -> dict:
    """Jobs sent one at a time every ``plan.gap`` s into idle workers; p50/p95 start delay, ms.

    The pace is fixed (open loop), not "send the next when the last is done", so a
    system that polls slowly is timed over the same few seconds as the others.
    """
    client.delete("bench:starts")
    done = int(client.get("bench:done") or 0)
    started = time.monotonic()
    for n in range(plan.samples):
        time.sleep(max(0.0, started + n * plan.gap - time.monotonic()))
        system.enqueue(time.time())
    wait_for_done(client, done + plan.samples, workers, 60.0)
    samples = sorted(
        (float(began) - float(enqueued)) * 1000
        for enqueued, began in (item.split() for item in client.lrange("bench:starts", 0, -1))
    )
    return {"p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95)}


BULK_CALLS = 3  # calls per run, of which the median rate is the run's


def bulk(system: System, client: redis.Redis, plan: Plan) -> dict:
    """Enqueue ``plan.jobs`` in one call, where the system has one (nothing runs them).

    One call takes a fifth of a second, where the one-by-one rate it is compared
    with is timed over seconds: the machine's speed moves within that fifth, and one
    row's single calls spread by half their rate. The run's figure is the median of
    ``BULK_CALLS`` calls, each into an empty queue.
    """
    rates = []
    for _ in range(BULK_CALLS):
        fresh(system, client)
        started = time.perf_counter()
        if not system.enqueue_bulk(plan.jobs):
            return {}
        system.sent()
        rates.append(plan.jobs / (time.perf_counter() - started))
    fresh(system, client)
    return {"bulk": percentile(sorted(rates), 0.50)}


def rss_run(system: System, client: redis.Redis, plan: Plan) -> dict:
    """Worker memory (VmRSS of all worker processes, MiB) after each of ``plan.rss_marks`` jobs."""
    if system.processes == 0:
        return {}  # no worker processes to measure
    fresh(system, client)
    figures = {}
    sent = 0
    with WorkerGroup(system.worker_commands()) as workers:
        for mark in plan.rss_marks:
            if not system.enqueue_bulk(mark - sent):
                for _ in range(mark - sent):
                    system.enqueue(0.0)
            sent = mark
            wait_for_done(client, mark, workers, plan.timeout)
            workers.settle()  # results and history written before memory is read
            figures[f"rss{mark}"] = workers.rss_bytes() / 2**20
    return figures


def wait_for_done(
    client: redis.Redis,
    count: int,
    workers: WorkerGroup | None,
    timeout: float,
    poll: float = 0.02,
) -> None:
    deadline = time.monotonic() + timeout
    while int(client.get("bench:done") or 0) < count:
        if time.monotonic() > deadline:
            done = int(client.get("bench:done") or 0)
            raise RuntimeError(f"timed out: {done} of {count} jobs done")
        if workers is not None:
            workers.check_alive()
        time.sleep(poll)


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))]
