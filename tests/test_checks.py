import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_clean_configuration_passes():
    call_command("check")


def test_bad_jobs_setting_fails_check_with_the_key_named(settings):
    settings.JOBS = {"LEASE_SECONDS": -5, "RETRIES": 3}
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E001" in str(error.value)
    assert "JOBS['LEASE_SECONDS'] must be a positive number, got: -5" in str(error.value)
    assert "unknown key 'RETRIES'" in str(error.value)


def test_unknown_backend_option_fails_check(settings):
    tasks = {
        "default": {
            "BACKEND": "django_jobs.backends.DatabaseBackend",
            "OPTIONS": {"REDIS_URL": "redis://x"},
        }
    }
    with override_settings(TASKS=tasks), pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E011" in str(error.value) and "'REDIS_URL'" in str(error.value)
