"""A paginator that never counts a whole table.

The admin's paginator runs ``SELECT COUNT(*)`` over the filtered list on every
page; on a million-row job table that is the slowest query of the page. This one
counts at most ``COUNT_LIMIT + 1`` rows (a bounded subquery), so a page costs
the same whatever the table holds; past the limit the list shows "10,000+" and
offers the first ``COUNT_LIMIT`` rows' worth of pages. Filters narrow the rest.
"""

from functools import cached_property

from django.core.paginator import Paginator

COUNT_LIMIT = 10_000


class CappedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_LIMIT + 1].count()  # type: ignore[attr-defined]

    @property
    def is_capped(self) -> bool:
        """True when there are more rows than were counted."""
        return self.count > COUNT_LIMIT
