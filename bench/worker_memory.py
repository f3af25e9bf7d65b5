"""Where a worker's memory goes as it runs jobs: Python objects, SQLite's caches, the rest.

    .venv/bin/python bench/worker_memory.py [--marks 10000 50000 100000] [--only huey-sqlite ...]

``side_by_side.py --rss`` compares the resident memory of each system's workers. This
script explains ours: for each setup, one ``run_jobs --concurrency 4`` worker
(``bench/memory_probe.py``) runs no-op jobs, enqueued 5,000 per ``enqueue_many``, and
after each mark, with every job's success written, it reports its resident memory, the
memory blocks Python's allocator holds, the arenas that allocator has mapped for small
objects and the memory in use in them, and the memory SQLite holds (each connection's
page cache grows up to SQLite's default of 2,000 KiB as the database grows, then stays).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import demo_project_env, loopback_servers  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402

SETUPS = {  # name: (mode, database)
    "database-sqlite": ("database", "sqlite"),
    "database-postgres": ("database", "postgres"),
    "huey-sqlite": ("huey", "sqlite"),
    "huey-postgres": ("huey", "postgres"),
}
BATCH = 5_000
MiB = 2**20


def measure(marks: list[int], report_path: Path) -> list[dict]:
    """In a child configured for one setup: run the worker to each mark, collect its reports."""
    from bench.database import configure_django

    configure_django(os.environ["DATABASE_URL"])
    from bench.noop_tasks import noop
    from django_jobs import api
    from django_jobs.backends.huey import process_publisher
    from django_jobs.models import Job

    os.environ["MEMORY_REPORT"] = str(report_path)
    worker = subprocess.Popen([sys.executable, str(ROOT / "bench" / "memory_probe.py")], cwd=ROOT)
    reports: list[dict] = []
    try:
        sent = 0
        for mark in marks:
            while sent < mark:
                count = min(BATCH, mark - sent)
                api.enqueue_many(noop, [((), {})] * count)
                process_publisher.flush()
                sent += count
            while Job.objects.filter(status="SUCCESSFUL").count() < mark:
                if worker.poll() is not None:
                    raise RuntimeError("the worker exited early")
                time.sleep(0.2)
            time.sleep(1.0)  # the worker settles (heartbeat, maintenance) before it reports
            worker.send_signal(signal.SIGUSR1)
            reports.append(next_report(report_path, len(reports)) | {"jobs": mark})
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return reports


def next_report(path: Path, seen: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) > seen:
            return json.loads(lines[seen])
        time.sleep(0.05)
    raise RuntimeError("the worker did not report its memory")


def run_setup(name: str, marks: list[int], redis_url: str, postgres: PostgresServer | None):
    mode, database = SETUPS[name]
    env = demo_project_env(mode, redis_url, postgres if database == "postgres" else None)
    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, __file__, "--child", *map(str, marks)]
        command += ["--report", f"{directory}/report.jsonl"]
        done = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def render(name: str, reports: list[dict]) -> list[str]:
    lines = [f"{name}"]
    for report in reports:
        sqlite = report["sqlite"]
        sqlite_text = "-" if sqlite is None else f"{sqlite / MiB:.1f}"
        without = (report["rss"] - (sqlite or 0)) / MiB
        arenas, in_use = report["arenas"]
        lines.append(
            f"  {report['jobs']:>9,} {report['rss'] / MiB:9.1f} {sqlite_text:>10} "
            f"{without:13.1f} {report['python_blocks']:>14,} {arenas / MiB:11.1f} "
            f"{in_use / MiB:11.1f}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marks", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--only", nargs="+", choices=sorted(SETUPS), default=list(SETUPS))
    parser.add_argument("--child", type=int, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.report)))
        return
    needs_postgres = any(SETUPS[name][1] == "postgres" for name in args.only)
    with loopback_servers(postgres=needs_postgres) as (redis, postgres):
        results = {name: run_setup(name, args.marks, redis.url, postgres) for name in args.only}
    print(f"one worker, run_jobs --concurrency 4, no-op jobs; {os.cpu_count()} CPUs")
    titles = f"{'jobs':>9} {'RSS MiB':>9} {'SQLite MiB':>10} {'RSS - SQLite':>13}"
    print(f"  {titles} {'Python blocks':>14} {'arenas MiB':>11} {'in use MiB':>11}")
    for name, reports in results.items():
        print("\n".join(render(name, reports)))


if __name__ == "__main__":
    main()
