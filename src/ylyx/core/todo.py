"""The officials' to-do list: one mechanism every module feeds.

Each app registers a provider in its ``AppConfig.ready``: a function that takes the user and returns the
items waiting for that user, already scoped (a provider reads through ``for_user`` like any page). The
home page and the API ask :func:`todos_for` and never know which modules exist, so core stays a leaf.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Todo:
    source: str  # the feeding module's key, e.g. "filing", "reported_value", "import", "inspection"
    title: str  # what to do, in Chinese: “受理备案：某某托育园”
    url: str  # where the user does it
    region_code: str = ""
    due: dt.date | None = None
    count: int = 1  # a grouped item ("12 条填报值待审核") counts its members
    priority: int = 0  # higher first among items with the same due state
    detail: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def overdue_on(self, today: dt.date) -> bool:
        return self.due is not None and self.due < today


Provider = Callable[[Any], Iterable[Todo]]
_providers: dict[str, Provider] = {}


def register(source: str, provider: Provider) -> None:
    """Called from an app's ``ready()``; registering the same source again replaces it (reloads, tests)."""
    _providers[source] = provider


def providers() -> dict[str, Provider]:
    return dict(_providers)


def todos_for(user: Any, today: dt.date | None = None) -> list[Todo]:
    """Everything waiting for ``user``: overdue first, then by due date, then by priority.

    A failing provider is logged and skipped, so one module's bug does not empty everybody's home page.
    """
    today = today or dt.date.today()
    items: list[Todo] = []
    for source, provider in _providers.items():
        try:
            items.extend(provider(user))
        except Exception:  # noqa: BLE001 - isolation between modules is the point
            log.exception("to-do provider %s failed for user %s", source, getattr(user, "pk", None))
    return sorted(items, key=lambda t: (not t.overdue_on(today), t.due or dt.date.max, -t.priority, t.title))
