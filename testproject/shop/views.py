from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from testproject.shop.models import Order
from testproject.shop.tasks import (
    build_report,
    charge_card,
    notify_warehouse,
    send_receipt,
    sync_inventory,
)


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/index.html", {"orders": Order.objects.order_by("-pk")[:10]})


@require_POST
def place_order(request: HttpRequest) -> HttpResponse:
    """Enqueue from a view, as a real shop would: all jobs commit with the order."""
    order = Order.objects.create(
        email=request.POST.get("email") or "buyer@example.com", total_cents=4200
    )
    enqueue_order_jobs(order)
    return redirect("shop:index")


def enqueue_order_jobs(order: Order) -> None:
    send_receipt.enqueue(order.pk)
    notify_warehouse.enqueue(order.pk)
    if order.pk % 5 == 0:
        charge_card.enqueue(order.pk)
    sync_inventory.using(unique_key=f"inventory:{order.pk % 3}").enqueue(f"SKU-{order.pk % 3}")
    build_report.using(run_after=timezone.now() + timedelta(minutes=1)).enqueue(days=7)
