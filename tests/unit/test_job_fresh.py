"""``Job.fresh``: the ``Job`` every enqueue builds, as ``Job(**values)`` would build it."""

import datetime

import pytest

from django_jobs.models import Job
from django_jobs.status import JobStatus


def field_values(job: Job) -> dict:
    return {field.attname: getattr(job, field.attname) for field in Job._meta.concrete_fields}


def test_fresh_builds_what_the_constructor_builds():
    at = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    values = {
        "task_path": "a.b",
        "queue_name": "q",
        "args": [1],
        "enqueued_at": at,
        "run_after": at,
    }
    built, fresh = Job(**values), Job.fresh(**values)
    expected, got = field_values(built), field_values(fresh)
    assert expected.pop("id") != got.pop("id")  # each its own new id
    assert got == expected
    assert fresh.status == JobStatus.READY and fresh.worker_ids == [] and fresh.backoff is None
    assert fresh.priority == 0 and fresh.max_attempts == 3
    assert fresh._state.adding and fresh._state.db is None


def test_defaults_are_not_shared_between_jobs():
    first, second = Job.fresh(), Job.fresh()
    first.errors.append({"boom": 1})
    first.worker_ids.append("w")
    assert second.errors == [] and second.worker_ids == []


def test_an_unknown_field_is_refused():
    with pytest.raises(TypeError, match="Job has no field colour, size"):
        Job.fresh(task_path="a.b", size=1, colour="red")
