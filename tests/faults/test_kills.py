"""SIGKILL of random workers, again and again, while thousands of jobs drain."""

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_repeated_sigkill_while_draining_loses_nothing(drill):
    numbers = drill.enqueue(5000, seconds=0.005)
    for _ in range(3):
        drill.start()
    drill.kill_while_draining(kills=6, every=(0.3, 1.0))
    drill.wait_until_finished(timeout=120)
    assert drill.stop_all() == [0, 0, 0]
    report = drill.audit()
    assert report.problems() == []
    assert report.enqueued == len(numbers) == report.successful
    assert report.running == 0
    assert report.worker_lost  # some kills landed mid-run and their leases were rescued
