"""``jobs_status --check`` as a liveness probe."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_jobs.models import Job, Queue, Worker
from tests import tasks

pytestmark = pytest.mark.django_db


def live_worker():
    return Worker.objects.create(
        id="w1", hostname="h", pid=1, backend_name="default", queues=[], concurrency=2
    )


def check(*args):
    try:
        call_command("jobs_status", "--check", *args)
    except SystemExit as exit_:
        return exit_.code
    return 0


def test_no_live_worker_fails_the_check(capsys):
    assert check() == 1
    assert "no live worker" in capsys.readouterr().err


def test_healthy_queue_passes_and_the_table_shows_counts(capsys):
    live_worker()
    tasks.add.enqueue(1, 2)
    tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 2)
    assert check() == 0
    out = capsys.readouterr().out
    assert "1 live, 0 lost" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["default", "default", "1", "1", "0"] in [row[:5] for row in rows]
    # Configured queues show even while empty, so they can be watched and paused.
    assert ["default", "emails", "0", "0", "0"] in [row[:5] for row in rows]


def test_an_old_due_job_fails_the_check_unless_its_queue_is_paused(capsys):
    live_worker()
    result = tasks.add.enqueue(1, 2)
    Job.objects.filter(pk=result.id).update(run_after=timezone.now() - timedelta(minutes=10))
    assert check("--max-age", "60") == 1
    assert "default/default: oldest due job has waited" in capsys.readouterr().err
    assert check("--max-age", "3600") == 0
    Queue.objects.create(backend_name="default", name="default", paused=True)
    assert check("--max-age", "60") == 0


def test_lost_worker_is_not_live():
    Worker.objects.create(
        id="gone",
        hostname="h",
        pid=1,
        backend_name="default",
        queues=[],
        concurrency=1,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    assert check() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "finite number >= 0"), ("inf", "finite number >= 0"), ("soon", "a number of seconds")],
)
def test_bad_max_age_is_refused(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("jobs_status", "--max-age", value)
