"""An entry for the admin dashboard in the admin index.

The admin lists models, not pages; a proxy of ``Job`` gives the dashboard its
own row under "Django Jobs" and its own URL, with no table and no permissions
of its own (seeing it takes ``view_job``).
"""

from django_jobs.models.job import Job


class Dashboard(Job):
    class Meta:
        proxy = True
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"
        default_permissions = ()
