"""Loading the region tree; used by migrations-free set-up commands and the demo builder."""

from __future__ import annotations

from django.db import transaction

from .gbt2260 import entries
from .models import Region, level_of


@transaction.atomic
def load_gbt2260(provinces: set[str] | None = None) -> int:
    """Insert or update current province, city and county codes; returns how many rows were written."""
    current: dict[str, tuple[str, int | None]] = {}
    for e in entries():
        if e.valid_to is not None or e.name in ("市辖区", "县", "省直辖县级行政区划"):
            continue
        if provinces and e.code[:2] not in provinces:
            continue
        current[e.code] = (e.name, e.valid_from)
    existing = set(Region.objects.filter(code__in=[c + "000000" for c in current]).values_list("code", flat=True))
    rows = []
    for code6, (name, start) in sorted(current.items()):
        code = code6 + "000000"
        level = level_of(code)
        parent = None
        if level == 2:
            parent = code6[:2] + "0000" + "000000"
        elif level == 3:
            city = code6[:4] + "00"
            parent = (city if city in current else code6[:2] + "0000") + "000000"
        rows.append(Region(code=code, name=name, level=level, parent_id=parent, valid_from=start,
                           urban=code6[4:6] < "20" and level == 3))
    new = [r for r in rows if r.code not in existing]
    Region.objects.bulk_create(new, batch_size=2000)
    upd = [r for r in rows if r.code in existing]
    Region.objects.bulk_update(upd, ["name", "level", "parent", "valid_from"], batch_size=2000)
    return len(rows)
