"""``Ahead``: work started at once on a thread of its own, collected later."""

import threading

import pytest

from django_jobs.backends.ahead import Ahead


def test_the_work_runs_at_once_on_its_own_thread_and_its_result_is_collected():
    started, release = threading.Event(), threading.Event()

    def work():
        started.set()
        release.wait(timeout=10)
        return threading.current_thread().name

    ahead = Ahead(work, name="signer")
    assert started.wait(timeout=10)  # running before anyone asked for the result
    release.set()
    assert ahead.result() == "signer"


def test_what_the_work_raised_is_raised_where_the_result_is_collected():
    def work():
        raise ValueError("no key")

    ahead = Ahead(work, name="signer")
    with pytest.raises(ValueError, match="no key"):
        ahead.result()
