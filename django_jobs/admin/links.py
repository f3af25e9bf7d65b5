"""Links into the job list with its filters set: every number on the dashboard is one."""

from urllib.parse import urlencode

from django.urls import reverse


def job_list_url(**filters: str) -> str:
    """The job list URL narrowed by ``filters`` (parameters of the list's own filters)."""
    url = reverse("admin:django_jobs_job_changelist")
    return f"{url}?{urlencode(sorted(filters.items()))}" if filters else url
