from django.db import models


class Order(models.Model):
    """A shop order; placing one enqueues the jobs a real shop would run."""

    email = models.EmailField()
    total_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.email})"
