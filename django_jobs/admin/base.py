"""What every django-jobs admin page shares: read-only pages and logged, per-object actions."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from django_jobs.exceptions import InvalidTransition


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def apply_each(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        action: Callable[[Model], Any],
        verb: str,
    ) -> None:
        """Run ``action`` on each object, log it, and report what was done and refused."""
        done, refused = 0, []
        for obj in queryset:
            try:
                action(obj)
            except (InvalidTransition, LookupError) as exc:
                refused.append(str(exc))
                continue
            done += 1
            self.log_change(request, obj, f"{verb} from the admin")
        self.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
        for reason in refused[:10]:
            self.message_user(request, reason, messages.WARNING)
