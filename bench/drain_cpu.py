"""Where a drain's CPU goes: worker processes and database server, per job.

    .venv/bin/python bench/drain_cpu.py [--jobs 10000] [--only sqlite postgres huey huey-postgres]

For each setup, a fresh database gets ``--jobs`` no-op jobs (one ``enqueue_many``),
then two ``manage.py run_jobs --burst --concurrency 4 --no-scheduler`` processes
drain them and exit. Printed per setup: jobs/s over the whole drain (worker start-up
and burst exit included, so below ``side_by_side.py``'s figure), worker CPU and
PostgreSQL server CPU in milliseconds per job, and how busy the two cores were.
The server's CPU is its processes' own time plus that of the connection processes it
reaped (``cutime``): the workers' backends have exited by then.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import demo_project_env, loopback_servers  # noqa: E402
from bench.workers import CLOCK_TICKS, process_parents  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402

SETUPS = {  # name: (mode, database)
    "sqlite": ("database", "sqlite"),
    "postgres": ("database", "postgres"),
    "huey": ("huey", "sqlite"),
    "huey-postgres": ("huey", "postgres"),
}


def server_cpu(root_pid: int) -> float:
    """CPU seconds of a server's process tree, with its reaped children's."""
    parents = process_parents()
    tree, grew = {root_pid}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)  # busy (not idle/iowait), total


def run_setup(name: str, jobs: int, redis_url: str, postgres: PostgresServer | None) -> dict:
    mode = SETUPS[name][0]
    env = demo_project_env(mode, redis_url, postgres)
    fill = (
        "import os; from bench.database import configure_django; "
        "configure_django(os.environ['DATABASE_URL']); "
        "from bench.noop_tasks import noop; from django_jobs import api; "
        f"api.enqueue_many(noop, [((), {{}})] * {jobs})"
    )
    subprocess.run([sys.executable, "-c", fill], env=env, cwd=ROOT, check=True)
    worker = [sys.executable, "manage.py", "run_jobs", "--burst", "--concurrency", "4"]
    worker.append("--no-scheduler")
    server_before = server_cpu(postgres.process.pid) if postgres and postgres.process else 0.0
    busy_before, total_before = busy_ticks()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [subprocess.Popen(worker, env=env, cwd=ROOT) for _ in range(2)]
    if any(process.wait() != 0 for process in processes):
        raise RuntimeError(f"{name}: a worker failed")
    elapsed = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after, total_after = busy_ticks()
    time.sleep(0.5)  # the server reaps the workers' connection processes
    server_after = server_cpu(postgres.process.pid) if postgres and postgres.process else 0.0
    workers_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    return {
        "setup": name,
        "jobs/s": jobs / elapsed,
        "worker ms/job": 1000 * workers_cpu / jobs,
        "server ms/job": 1000 * (server_after - server_before) / jobs if postgres else None,
        "cores busy": 100 * (busy_after - busy_before) / max(1, total_after - total_before),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--only", nargs="+", choices=sorted(SETUPS), default=list(SETUPS))
    args = parser.parse_args(argv)
    on_postgres = [name for name in args.only if SETUPS[name][1] == "postgres"]
    with loopback_servers(postgres=bool(on_postgres)) as (redis, postgres):
        rows = [
            run_setup(name, args.jobs, redis.url, postgres if name in on_postgres else None)
            for name in args.only
        ]
    print(f"{args.jobs} no-op jobs, 2 x run_jobs --burst --concurrency 4; {os.cpu_count()} CPUs")
    print(f"{'setup':13} {'jobs/s':>8} {'worker ms/job':>14} {'server ms/job':>14} {'busy %':>7}")
    for row in rows:
        server = "-" if row["server ms/job"] is None else f"{row['server ms/job']:.2f}"
        print(
            f"{row['setup']:13} {row['jobs/s']:8.0f} {row['worker ms/job']:14.2f} "
            f"{server:>14} {row['cores busy']:7.0f}"
        )


if __name__ == "__main__":
    main()
