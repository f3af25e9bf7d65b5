"""One row per webhook HTTP attempt, so operators can see what each receiver answered."""

from django.db import models
from django.utils import timezone


class WebhookDelivery(models.Model):
    job_id = models.UUIDField(db_index=True)
    event_id = models.CharField(max_length=100, db_index=True)
    event_type = models.CharField(max_length=200)
    endpoint_url = models.URLField(max_length=2000)
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_url} #{self.attempt}"
