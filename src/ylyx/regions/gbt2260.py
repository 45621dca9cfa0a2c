"""Real GB/T 2260 province, city and county codes from python-stdnum's maintained ``cn/loc.dat``.

Each line there carries the years a code was valid (``[2003-]``, ``[-2003]``), which gives the
versioned region table security.md REG-2 asks for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import stdnum

LINE = re.compile(r'^(\s*)(\d+) (province|county)="(?:\[(\d*)-(\d*)\])?(.*)"$')


@dataclass(frozen=True)
class Entry:
    code: str  # 6 digits
    name: str
    valid_from: int | None
    valid_to: int | None


def entries() -> Iterator[Entry]:
    path = os.path.join(os.path.dirname(stdnum.__file__), "cn", "loc.dat")
    province = ""
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            indent, digits, kind, start, end, name = m.groups()
            if kind == "province":
                province = digits
                yield Entry(province + "0000", name, None, None)
                continue
            code = province + digits
            if len(code) != 6:
                continue
            yield Entry(code, name, int(start) if start else None, int(end) if end else None)
