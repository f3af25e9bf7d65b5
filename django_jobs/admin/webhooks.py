from django.contrib import admin
from django.db import models

from django_jobs.admin.base import ReadOnlyAdmin
from django_jobs.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "attempted_at",
        "event_type",
        "endpoint_url",
        "attempt",
        "status_code",
        "duration_ms",
    ]
    list_filter = ["status_code", "event_type"]
    search_fields = ["=event_id", "=job_id", "endpoint_url"]
    # Webhook endpoints are https; saying so also keeps Django 5.2 from warning that its
    # URL fields' default scheme changes in 6.0.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
