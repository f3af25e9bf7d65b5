from django.db import models

from django_jobs.models import CreditAccountMixin


class Order(models.Model):
    """A shop order; placing one enqueues the jobs a real shop would run."""

    email = models.EmailField()
    total_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.email})"


class Organization(CreditAccountMixin):
    """A customer account with monthly usage credits, refilled by ``reset_credits``."""

    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name
