import pytest
from django.core.exceptions import ImproperlyConfigured

from django_jobs.conf import build, get_settings, validate


def test_defaults():
    jobs = build(None)
    assert (jobs.MAX_ATTEMPTS, jobs.BACKOFF, jobs.LEASE_SECONDS) == (3, 5.0, 60.0)
    assert jobs.RETENTION == {
        "SUCCESSFUL": 86400,
        "SUCCESSFUL_KEEP": 1000,
        "FAILED": 604800,
        "CANCELLED": 604800,
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "JOBS must be a dict"),
        ({"MAX_ATEMPTS": 3}, "unknown key 'MAX_ATEMPTS'"),
        ({"MAX_ATTEMPTS": 0}, "JOBS['MAX_ATTEMPTS'] must be a whole number of at least 1, got: 0"),
        ({"MAX_ATTEMPTS": True}, "MAX_ATTEMPTS"),
        ({"BACKOFF": "5"}, "JOBS['BACKOFF'] must be a positive number, got: '5'"),
        ({"BACKOFF_JITTER": 2}, "between 0 and 1"),
        ({"RETENTION": {"FAILED": -1}}, "['FAILED'] must be a whole number"),
        ({"RETENTION": {"LOST": 1}}, "unknown keys ['LOST']"),
        ({"SCHEDULES": []}, "JOBS['SCHEDULES'] must be a dict"),
    ],
)
def test_bad_values_are_named(raw, message):
    problems = validate(raw)
    assert any(message in p for p in problems), problems
    with pytest.raises(ImproperlyConfigured):
        build(raw)


def test_partial_retention_keeps_other_defaults():
    assert build({"RETENTION": {"FAILED": 60}}).RETENTION["SUCCESSFUL"] == 86400


def test_cache_is_reset_when_settings_change(settings):
    settings.JOBS = {"MAX_ATTEMPTS": 9}
    assert get_settings().MAX_ATTEMPTS == 9
    settings.JOBS = {"MAX_ATTEMPTS": 4}
    assert get_settings().MAX_ATTEMPTS == 4
