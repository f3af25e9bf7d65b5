import gc
import threading

import pytest

from django_jobs.collector import collector_paused


@pytest.fixture
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_again_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_puts_the_collector_back(collector_on):
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_the_program_turned_off_stays_off(collector_on):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_the_collector_comes_back_when_the_last_holder_ends(collector_on):
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    seen = {}

    def first() -> None:
        with collector_paused():
            first_inside.set()
            second_inside.wait(5)
        first_done.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collector_paused():
        second_inside.set()
        first_done.wait(5)
        seen["after the first ended"] = gc.isenabled()
        with collector_paused():  # nested in the same thread
            pass
        seen["after a nested one ended"] = gc.isenabled()
    thread.join(5)
    assert seen == {"after the first ended": False, "after a nested one ended": False}
    assert gc.isenabled()
