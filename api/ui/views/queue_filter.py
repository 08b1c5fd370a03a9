"""The review queue's filters as the page, its links and its forms carry them (workshop, anchor,
category, a search text, a range of local calendar days, which flags: open or decided, and the
page), and their translation into the library's flag filters."""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple
from urllib.parse import parse_qs, urlencode

from fastapi import Depends, Query

from monitor.errors import InputError
from monitor.local_time import day_bounds

QUEUE_SIZE = 50  # flags listed per page
# view -> (the library's status filter, its order, the Chinese and English label)
VIEWS = {
    "open": ("open", "risk", "待审", "open, riskiest first"),
    "decided": ("decided", "decided", "已处理", "decided, latest first"),
    "confirmed": ("confirmed", "decided", "已确认", "confirmed"),
    "dismissed": ("dismissed", "decided", "已驳回", "dismissed"),
    "all": (None, "time", "全部", "all, newest first"),
}
MAX_PAGE = 100_000


class QueueFilter(NamedTuple):
    workshop: str = ""
    anchor: str = ""
    category: str = ""
    q: str = ""
    date_from: str = ""  # local calendar days (QINGLANG_TIMEZONE), both included
    date_to: str = ""
    view: str = "open"
    page: int = 1

    def query(self, **changes: Any) -> str:
        """The filters as a URL query (defaults left out), with `changes` applied."""
        chosen = self._replace(**changes)._asdict()
        defaults = QueueFilter()._asdict()
        return urlencode({k: v for k, v in chosen.items() if v and v != defaults[k]})

    @classmethod
    def parse(cls, query: str) -> QueueFilter:
        """The filters a form sent back as one query string (unknown names ignored)."""
        values = {k: v[-1] for k, v in parse_qs(query).items() if k in cls._fields}
        page = values.pop("page", "1")
        return cls(**values, page=int(page) if page.isdigit() and int(page) <= MAX_PAGE else 1)

    def library_filters(self, zone_name: str) -> dict[str, Any]:
        """`list_flags`/`count_flags` keyword arguments (order excluded); InputError on a bad
        view or date."""
        if self.view not in VIEWS:
            raise InputError(f"未知视图 / unknown view {self.view!r} (known: {', '.join(VIEWS)})")
        since, until = day_bounds(self.date_from, self.date_to, zone_name)
        return {
            "status": VIEWS[self.view][0],
            "workshop_id": self.workshop or None,
            "anchor_id": self.anchor or None,
            "category": self.category or None,
            "search": self.q.strip() or None,
            "since": since,
            "until": until,
        }

    @property
    def order(self) -> str:
        return VIEWS.get(self.view, VIEWS["open"])[1]


def queue_filter(
    workshop: Annotated[str, Query(max_length=200)] = "",
    anchor: Annotated[str, Query(max_length=200)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    view: Annotated[str, Query(max_length=16)] = "open",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> QueueFilter:
    return QueueFilter(workshop, anchor, category, q, date_from, date_to, view, page)


QueueFilterDep = Annotated[QueueFilter, Depends(queue_filter)]
