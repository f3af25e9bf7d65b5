from django_jobs.exceptions import PermanentFailure, RetryLater
from django_jobs.retry import RetryDecision, RetryPolicy, decide

POLICY = RetryPolicy(max_attempts=5, backoff=5, cap=60, jitter=0.1)


def test_backoff_doubles_and_is_capped():
    no_jitter = RetryPolicy(max_attempts=10, backoff=5, cap=60, jitter=0)
    assert [no_jitter.delay_for(n) for n in range(1, 6)] == [5, 10, 20, 40, 60]


def test_jitter_stays_within_its_band():
    assert POLICY.delay_for(1, rand=lambda: 0.0) == 4.5
    assert POLICY.delay_for(1, rand=lambda: 1.0) == 5.5


def test_decisions():
    assert decide(POLICY, ValueError(), 1, rand=lambda: 0.5) == RetryDecision(5.0)
    assert decide(POLICY, ValueError(), 5) is None
    assert decide(POLICY, PermanentFailure(), 1) is None
    assert decide(POLICY, RetryLater(delay=7), 1) == RetryDecision(7.0)
    assert decide(POLICY, RetryLater(delay=7), 5) is None
    only_io = RetryPolicy(max_attempts=5, backoff=1, cap=1, jitter=0, retry_on=(OSError,))
    assert decide(only_io, KeyError(), 1) is None
    assert decide(only_io, ConnectionError(), 1) == RetryDecision(1.0)


def test_retry_later_rejects_bad_delays():
    import pytest

    for bad in (-1, "soon"):
        with pytest.raises(ValueError, match="non-negative"):
            RetryLater(delay=bad)
