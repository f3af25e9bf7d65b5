"""The cron scheduler: a side loop of ``run_jobs`` that enqueues each tick exactly once.

Every worker may run it. For each due tick, a scheduler inserts a ``ScheduleRun``
row unique on (schedule, tick) and enqueues the job in the same transaction:
the database picks one winner, the others' inserts fail and they move on. After
downtime only the latest missed tick is considered (``catch_up="latest"``), so
there is no replay storm; ``catch_up="none"`` skips ticks missed by more than
a minute.
"""

import datetime
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from django_jobs.conf import get_settings
from django_jobs.models import Job, Schedule, ScheduleRun
from django_jobs.schedules import ScheduleSpec, effective
from django_jobs.status import ACTIVE
from django_jobs.store.results import resolve_task

logger = logging.getLogger("django_jobs")

MISFIRE_GRACE = datetime.timedelta(seconds=60)
MAX_SLEEP = 30.0

Clock = Callable[[], datetime.datetime]


def sync_schedules(now: datetime.datetime | None = None) -> None:
    """Make the Schedule table match settings: add, update, disable what was removed."""
    now = now or timezone.now()
    jobs_settings = get_settings()
    specs = effective(
        jobs_settings.SCHEDULES,
        default_timezone=settings.TIME_ZONE,
        credits=bool(jobs_settings.CREDIT_ACCOUNT_MODEL),
    )
    for spec in specs.values():
        _sync(spec, now)
    Schedule.objects.exclude(name__in=list(specs)).update(enabled=False, synced_at=now)


def _sync(spec: ScheduleSpec, now: datetime.datetime) -> None:
    fields = {
        "task_path": spec.task,
        "cron": spec.cron,
        "time_zone": spec.timezone,
        "args": spec.args,
        "kwargs": spec.kwargs,
        "queue_name": spec.queue,
        "catch_up": spec.catch_up,
        "overlap": spec.overlap,
        "enabled": spec.enabled,
        "synced_at": now,
    }
    before = Schedule.objects.filter(name=spec.name).values("cron", "time_zone", "enabled").first()
    if before is None and _created(spec.name, fields, now):
        return
    if before is not None and _restarts(dict(before), spec):
        fields["last_tick_at"] = now
    Schedule.objects.filter(name=spec.name).update(**fields)


def _created(name: str, fields: dict[str, Any], now: datetime.datetime) -> bool:
    try:
        with transaction.atomic():
            Schedule.objects.create(name=name, created_at=now, **fields)
    except IntegrityError:  # another worker created it at the same moment
        return False
    return True


def _restarts(before: dict[str, Any], spec: ScheduleSpec) -> bool:
    """A new cron or time zone, or enabled again: start from the next tick.

    Otherwise the latest tick before now, reckoned by the new cron or after a
    pause of any length, would look missed and fire at once.
    """
    changed = (before["cron"], before["time_zone"]) != (spec.cron, spec.timezone)
    return changed or (spec.enabled and not before["enabled"])


def enqueue_schedule(schedule: Schedule) -> str:
    """Enqueue a schedule's task with its arguments; return the job id."""
    task = resolve_task(schedule.task_path)
    if schedule.queue_name:
        task = task.using(queue_name=schedule.queue_name)
    return task.enqueue(*schedule.args, **schedule.kwargs).id


def _previous_run_unfinished(schedule: Schedule) -> bool:
    last = schedule.runs.exclude(job_id=None).order_by("-tick").first()
    if last is None or last.job_id is None:
        return False
    return Job.objects.filter(pk=last.job_id, status__in=ACTIVE).exists()


def fire_due(schedule: Schedule, now: datetime.datetime) -> ScheduleRun | None:
    """Decide the schedule's latest due tick, if nobody has; None when nothing to do."""
    spec = schedule.spec()
    tick = spec.latest_tick(now)
    if tick < schedule.created_at or (schedule.last_tick_at and tick <= schedule.last_tick_at):
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduleRun.objects.create(schedule=schedule, tick=tick, decided_at=now)
        except IntegrityError:
            return None  # another scheduler decided this tick
        if spec.catch_up == "none" and now - tick > MISFIRE_GRACE:
            run.skipped = "missed while no scheduler ran (catch_up='none')"
        elif spec.overlap == "skip" and _previous_run_unfinished(schedule):
            run.skipped = "previous run still unfinished (overlap='skip')"
        else:
            run.job_id = enqueue_schedule(schedule)
        run.save(update_fields=["skipped", "job_id"])
        Schedule.objects.filter(pk=schedule.pk).update(last_tick_at=tick)
    return run


class Scheduler(threading.Thread):
    """Wakes at the next tick of any schedule (at most every 30 s) and fires what is due."""

    def __init__(self, stop: threading.Event, clock: Clock = timezone.now) -> None:
        super().__init__(name="jobs-scheduler", daemon=True)
        self.stopping = stop
        self.clock = clock
        self.synced = False

    def run(self) -> None:
        while not self.stopping.is_set():
            pause = self.step()
            close_old_connections()
            self.stopping.wait(pause)

    def step(self) -> float:
        """Sync once, fire due ticks; return seconds until the next look."""
        try:
            if not self.synced:
                sync_schedules(self.clock())
                self.synced = True
            return self.fire_all(self.clock())
        except DatabaseError as exc:
            logger.warning("Scheduler could not reach the database (%s); retrying", exc)
            return 5.0
        except Exception:
            logger.exception("Scheduler error; retrying")
            return 5.0

    def fire_all(self, now: datetime.datetime) -> float:
        next_ticks = []
        for schedule in Schedule.objects.filter(enabled=True, paused=False):
            try:
                fire_due(schedule, now)
                if (tick := schedule.next_tick_at(now)) is not None:
                    next_ticks.append(tick)
            except DatabaseError:
                raise
            except Exception:
                logger.exception("Schedule %r could not fire", schedule.name)
        if not next_ticks:
            return MAX_SLEEP
        return min(MAX_SLEEP, max(0.05, (min(next_ticks) - self.clock()).total_seconds()))
