"""Example jobs: what a shop runs outside the request."""

import asyncio
import random

from django.core.mail import send_mail
from django.utils import timezone

from django_jobs import task
from django_jobs.exceptions import PermanentFailure, RetryLater
from testproject.shop.models import Order


@task(queue_name="emails", max_attempts=5)
def send_receipt(order_id: int) -> str:
    order = Order.objects.get(pk=order_id)
    send_mail(
        f"Receipt for order #{order.pk}",
        f"Total: {order.total_cents / 100:.2f}",
        "shop@example.com",
        [order.email],
    )
    Order.objects.filter(pk=order.pk).update(receipt_sent_at=timezone.now())
    return order.email


@task(queue_name="webhooks", max_attempts=4, backoff=1)
def notify_warehouse(order_id: int) -> dict:
    """Fails now and then, like a real partner API; retries with backoff."""
    if random.random() < 0.3:
        raise ConnectionError("warehouse API did not answer")
    return {"order": order_id, "accepted": True}


@task(takes_context=True, max_attempts=3)
def sync_inventory(context, sku: str) -> str:
    """Asks for a retry on its first attempt, then succeeds."""
    if context.attempt < 2:
        raise RetryLater(delay=2)
    return f"{sku} synced on attempt {context.attempt}"


@task(max_attempts=2)
def charge_card(order_id: int) -> None:
    """Always declined: shows a failed job with its traceback in the admin."""
    raise PermanentFailure(f"card declined for order {order_id}")


@task(priority=10)
async def build_report(days: int) -> dict:
    await asyncio.sleep(0.1)
    return {"days": days, "orders": await Order.objects.acount()}
