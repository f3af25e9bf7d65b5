"""URLs for operators; mount them with ``path("jobs/", include("django_jobs.urls"))``.

The names live in the ``django_jobs`` namespace: ``reverse("django_jobs:metrics")``.
"""

from django.urls import path

from django_jobs import views

app_name = "django_jobs"

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
]
