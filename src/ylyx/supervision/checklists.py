"""Checklists as data (``data/checklists/*.yaml``): items with legal basis, confidence and severity.

Plain Python; the YAML is the single source. An inspection copies the items it was checked against, so a
later edit of a checklist never changes a finished inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DIR = Path(__file__).resolve().parent / "data" / "checklists"
SEVERITIES = ("high", "medium", "low")
SOURCES = {"V": "已核实原文", "S": "二手来源", "U": "未核实"}


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    basis: str
    severity: str
    source: str


@dataclass(frozen=True)
class Checklist:
    code: str
    title: str
    applies_to: tuple[str, ...]
    version: str
    items: tuple[Item, ...]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


def _load(path: Path) -> Checklist:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = []
    seen = set()
    for raw in data["items"]:
        item = Item(str(raw["code"]), str(raw["text"]), str(raw["basis"]), str(raw["severity"]), str(raw["source"]))
        if item.severity not in SEVERITIES or item.source not in SOURCES or item.code in seen:
            raise ValueError(f"检查表 {path.name} 的检查项 {item.code} 无效（严重程度、来源或重复编号）")
        seen.add(item.code)
        items.append(item)
    return Checklist(str(data["code"]), str(data["title"]), tuple(data["applies_to"]), str(data["version"]),
                     tuple(items))


@lru_cache(maxsize=1)
def all_checklists() -> dict[str, Checklist]:
    return {c.code: c for c in (_load(p) for p in sorted(DIR.glob("*.yaml")))}


def get(code: str) -> Checklist:
    try:
        return all_checklists()[code]
    except KeyError:
        raise ValueError(f"检查表“{code}”不存在") from None


def for_kind(kind: str) -> Checklist:
    """The checklist that applies to an institution kind (elder, community, childcare)."""
    for c in all_checklists().values():
        if kind in c.applies_to:
            return c
    raise ValueError(f"没有适用于“{kind}”类机构的检查表")
