"""django-jobs side by side with its peers and the raw limits: one command, one table.

    .venv/bin/python bench/side_by_side.py [--jobs 5000] [--runs 3] [--samples 200]
                                           [--only TEXT ...] [--rss] [--json FILE]

Starts its own redis-server and PostgreSQL 15 on free loopback ports, creates the peers'
virtualenv (``bench/.peers-venv``) on first use, then measures each row in a subprocess
of that row's virtualenv (``bench/peers/run.py``), the rows' runs taken in rounds
(``bench/row_process.py``), and prints medians with min and max:

- enqueue/s: ``--jobs`` jobs enqueued one by one from one process;
- bulk enqueue/s: the same number in one call, where the system has one;
- drain/s: those jobs run by 2 worker processes, from when both run jobs to the last job's
  start (a run whose drain took under 10 s enqueues and drains three times and keeps the
  medians: ``measure.py``);
- start p50/p95 ms: ``--samples`` jobs sent one at a time, ~15 ms apart, into idle workers;

then the targets of the table, each ratio between rows taken round by round
(``bench/targets.py``).

``--rss`` measures instead the worker processes' memory after 10,000 and 50,000 jobs
(one run per row; slow). ``--only`` keeps the rows whose group or label contains TEXT.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import scratch_directory  # noqa: E402
from bench.peers_venv import peers_python  # noqa: E402
from bench.row_process import RowProcess  # noqa: E402
from bench.rows import Row, in_round_order, select  # noqa: E402
from bench.table import FIGURES, Result, memory, render  # noqa: E402
from bench.targets import render as render_targets  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402


class Servers:
    """One redis-server and one PostgreSQL for the whole run; a fresh database per row."""

    def __init__(self) -> None:
        self.redis = RedisServer().start()
        self.postgres = PostgresServer().start()
        self.directory = scratch_directory()
        self.created = 0

    def database_url(self, kind: str | None) -> str:
        self.created += 1
        name = f"row{self.created}"
        if kind == "sqlite":
            return f"sqlite:///{self.directory / name}.sqlite3"
        if kind == "postgres":
            createdb = str(self.postgres.bindir / "createdb")
            host, port = self.postgres.host, str(self.postgres.port)
            subprocess.run([createdb, "-h", host, "-p", port, "-U", "postgres", name], check=True)
            return self.postgres.url_for(name)
        return ""

    def stop(self) -> None:
        self.redis.cleanup()
        self.postgres.cleanup()


def start_row(row: Row, servers: Servers, args: argparse.Namespace) -> RowProcess:
    """The row's measuring process in the row's virtualenv, set up on a fresh database."""
    python = peers_python() if row.venv == "peers" else sys.executable
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "JOBS_", "REDIS_URL"))
    }
    env |= {
        "BENCH_REDIS_URL": servers.redis.url,
        "BENCH_DATABASE_URL": servers.database_url(row.database),
        "PYTHONPATH": str(ROOT),
    }
    command = [python, "-m", "bench.peers.run", row.system]
    command += ["--jobs", str(args.jobs), "--samples", str(args.samples)]
    command += ["--rss-marks", *map(str, args.rss_marks)]
    log = servers.directory / f"row{servers.created}.log"
    return RowProcess(command, cwd=ROOT, env=env, log=log)


def measure(rows: list[Row], servers: Servers, args: argparse.Namespace) -> list[Result]:
    """Every row's runs, taken in rounds (see ``bench/row_process.py``)."""
    processes = []
    try:
        for row in rows:
            processes.append(start_row(row, servers, args))
        rounds, command = (1, "rss") if args.rss else (args.runs, "run")
        runs: list[list[dict]] = [[] for _ in rows]
        order = [rows.index(row) for row in in_round_order(rows)]
        for round_number in range(1, rounds + 1):
            for row, process, row_runs in ((rows[i], processes[i], runs[i]) for i in order):
                started = time.monotonic()
                figures = process.measure(command)
                if figures is not None:
                    row_runs.append(figures)
                took = time.monotonic() - started
                print(
                    f"  run {round_number}/{rounds} {row.group}: {row.label} ({took:.0f} s)",
                    file=sys.stderr,
                )
    finally:
        for process in processes:
            process.close()
    return [
        (row.group, row.label, process.error or row_runs)
        for row, process, row_runs in zip(rows, processes, runs, strict=True)
    ]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--only", nargs="*", default=[], metavar="TEXT")
    parser.add_argument("--rss", action="store_true", help="worker memory after 10k and 50k jobs")
    parser.add_argument(
        "--rss-marks", type=int, nargs="+", default=[10_000, 50_000], metavar="JOBS"
    )
    parser.add_argument("--json", type=Path, help="also write the raw runs here")
    args = parser.parse_args(argv)
    rows = select(args.only)
    if any(row.venv == "peers" for row in rows):
        peers_python()
    before = loadavg()
    servers = Servers()
    try:
        results = measure(rows, servers, args)
    finally:
        servers.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.rss:
        heading = "worker RSS: VmRSS summed over all worker processes of the row, one run"
    else:
        heading = (
            f"{args.jobs} jobs, 2 worker processes, {args.runs} runs: median [min-max]; "
            f"latency over {args.samples} jobs"
        )
    print(f"\n{heading}\n{os.cpu_count()} CPUs, load average {before} before, {loadavg()} after\n")
    print(render(results, memory(args.rss_marks) if args.rss else FIGURES))
    if not args.rss:
        print(f"\n{render_targets(results)}")


if __name__ == "__main__":
    main()
