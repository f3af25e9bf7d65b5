"""``run_jobs`` refuses bad flags with a sentence, before it starts anything."""

import pytest
from django.core.management import CommandError, call_command

from django_jobs.models import Worker

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--concurrency", "0"], "must be at least 1"),
        (["--concurrency", "many"], "expected a whole number"),
        (["--max-jobs", "-3"], "must be at least 1"),
        (["--grace", "-1"], "finite number >= 0"),
        (["--grace", "nan"], "finite number >= 0"),
        (["--queue", "nope"], "Unknown queue(s) ['nope']"),
        (["--backend", "nope"], "Unknown task backend 'nope'"),
        (["--backend", "immediate"], "has no queue to work on"),
    ],
)
def test_bad_flags(argv, message):
    with pytest.raises(CommandError) as error:
        call_command("run_jobs", *argv)
    assert message in str(error.value)
    assert not Worker.objects.exists()
