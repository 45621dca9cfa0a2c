"""Writing audit events: always inside the caller's transaction, so a failed audit rolls the change back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ylyx.core.middleware import current_request_info

from .models import AuditEvent

GENESIS = "0" * 64
HASHED_FIELDS = ("occurred_at", "actor_id", "actor_display", "actor_region", "event_type", "outcome",
                 "object_type", "object_id", "object_repr", "region_code", "request_id", "ip",
                 "reason", "before", "after", "detail")


def canonical(ev: AuditEvent) -> str:
    data = {f: getattr(ev, f) for f in HASHED_FIELDS}
    data["occurred_at"] = ev.occurred_at.isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def row_hash(ev: AuditEvent) -> str:
    return hashlib.sha256((ev.prev_hash + canonical(ev)).encode()).hexdigest()


def _lock_chain() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(724001)")
    last = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
    return last or GENESIS


def _build(actor: Any, event_type: str, **kw: Any) -> AuditEvent:
    info = current_request_info()
    now = timezone.now().replace(microsecond=(timezone.now().microsecond // 1000) * 1000)
    return AuditEvent(
        occurred_at=now,
        actor_id=getattr(actor, "pk", None),
        actor_display=(str(actor) if actor is not None else "")[:150],
        actor_region=(getattr(actor, "region_id", None) or "") if actor is not None else "",
        event_type=event_type,
        request_id=info.get("request_id", ""),
        ip=info.get("ip", ""),
        user_agent=info.get("user_agent", ""),
        **kw,
    )


def record_many(events: Iterable[AuditEvent]) -> int:
    events = list(events)
    if not events:
        return 0
    with transaction.atomic():
        prev = _lock_chain()
        for ev in events:
            ev.prev_hash = prev
            ev.row_hash = prev = row_hash(ev)
        AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def event_for(actor: Any, event_type: str, obj: Any = None, *, before: dict | None = None,
              after: dict | None = None, reason: str = "", outcome: str = "success",
              detail: dict | None = None) -> AuditEvent:
    kw: dict[str, Any] = {"before": before, "after": after, "reason": reason or "", "outcome": outcome,
                          "detail": detail}
    if obj is not None:
        kw.update(object_type=obj._meta.label_lower, object_id=str(obj.pk), object_repr=str(obj)[:200],
                  region_code=getattr(obj, "region_id", "") or "")
    return _build(actor, event_type, **kw)


def record(actor: Any, event_type: str, obj: Any = None, **kw: Any) -> AuditEvent:
    ev = event_for(actor, event_type, obj, **kw)
    record_many([ev])
    return ev


def record_security_event(actor: Any, event_type: str, outcome: str, detail: dict | None = None) -> None:
    record_many([_build(actor, event_type, outcome=outcome, detail=detail)])


def verify_chain() -> tuple[bool, int | None, int]:
    """Recompute every link; returns (ok, id of the first broken row, rows checked)."""
    prev = GENESIS
    n = 0
    for ev in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        n += 1
        if ev.prev_hash != prev or row_hash(ev) != ev.row_hash:
            return False, ev.pk, n
        prev = ev.row_hash
    return True, None, n
