"""``run_jobs`` with the scheduler's clock running SPEED times faster (60 unless set).

Real processes and a real database decide the ticks; only time is compressed, the
same mapping in every process: simulated = BASE + (wall - START) * SPEED.
"""

import os
import sys
import time
from datetime import UTC, datetime, timedelta

if __name__ == "__main__":
    import django

    django.setup()
    from django.core.management import call_command

    from django_jobs import scheduler

    base = datetime.fromtimestamp(float(os.environ["FAST_CLOCK_BASE"]), tz=UTC)
    start = float(os.environ["FAST_CLOCK_START"])
    speed = float(os.environ.get("FAST_CLOCK_SPEED", "60"))

    def fast_clock() -> datetime:
        return base + timedelta(seconds=(time.time() - start) * speed)

    scheduler.Scheduler.__init__.__defaults__ = (fast_clock,)
    scheduler.MAX_SLEEP = 0.05
    call_command("run_jobs", *sys.argv[1:])
