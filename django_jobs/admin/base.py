"""What every django-jobs admin page shares: read-only pages and logged, per-object actions."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Model
from django.http import HttpRequest

from django_jobs.exceptions import InvalidTransition

MESSAGES_SHOWN = 10


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
        items: Iterable[Any],
        action: Callable[[Any], Model],
        verb: str,
    ) -> int:
        """Run ``action`` on each item, log what changed, report what was done and refused.

        ``action`` returns the changed object; all of them are written to the
        admin history in one insert, so a bulk action over thousands of jobs
        stays one statement of logging. Returns how many were done.
        """
        done, refused = [], []
        for item in items:
            try:
                done.append(action(item))
            except (InvalidTransition, LookupError) as exc:
                refused.append(str(exc))
        if done:
            LogEntry.objects.log_actions(
                user_id=request.user.pk,  # type: ignore[arg-type]  # staff only: logged in
                queryset=done,
                action_flag=CHANGE,
                change_message=f"{verb} from the admin",
            )
        self.message_user(request, f"{verb}: {len(done)}.", messages.SUCCESS)
        for reason in refused[:MESSAGES_SHOWN]:
            self.message_user(request, reason, messages.WARNING)
        if len(refused) > MESSAGES_SHOWN:
            more = len(refused) - MESSAGES_SHOWN
            self.message_user(request, f"… and {more} more refused.", messages.WARNING)
        return len(done)
