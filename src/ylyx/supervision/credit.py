"""Credit (信用) engine: events with points → a yearly class; red/black list rules; repair (信用修复).

Plain Python, no Django. Every number is configuration (``settings.SUPERVISION_CREDIT``, documented in
docs/standards-config.md): standards.md §4.3 found the A/B/C/D classes and their qualitative sampling
effects in a secondary source, but **no** official point values, cut-offs or multipliers, so the
defaults are the platform's own and marked as such. A region may replace the scale from a date
(``valid_from``/``valid_to``); a year is classed on the scale in force on its last day.

The yearly score is ``base`` plus the points of the year's events (positive or negative); the class is
the first whose minimum the score reaches, top down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


class CreditConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    valid_from: dt.date
    valid_to: dt.date | None
    base: int
    classes: tuple[tuple[str, int | None], ...]  # top down: (label, minimum score); the last has None

    def classify(self, points: int) -> str:
        for label, minimum in self.classes:
            if minimum is None or points >= minimum:
                return label
        return self.classes[-1][0]

    @property
    def labels(self) -> list[str]:
        return [c for c, _ in self.classes]


@dataclass(frozen=True)
class EventType:
    code: str
    label: str
    points: int
    negative: bool


@dataclass(frozen=True)
class Rules:
    """When a subject enters or may leave a list; values from configuration."""

    black_event_kinds: frozenset[str] = frozenset()
    black_consecutive: tuple[str, int] = ("D", 2)  # class D in 2 consecutive years → black list
    red_consecutive: tuple[str, int] = ("A", 2)  # class A in 2 consecutive years …
    red_clean_days: int = 365  # … and no negative event in this many days → red list
    repair_min_months: Mapping[str, int] = field(default_factory=lambda: {"default": 12})
    black_list_months: int = 36  # an entry without repair expires after this long
    red_list_months: int = 12


@dataclass(frozen=True)
class Config:
    scales: tuple[Scale, ...]
    events: Mapping[str, EventType]
    rules: Rules
    weights: Mapping[str, str]  # sampling multiplier per class, as decimal strings (draw.Params)
    default_class: str = "B"  # a subject with no rating yet is sampled as ordinary risk


def _date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def load_config(cfg: Mapping) -> Config:
    scales = []
    for s in cfg["scales"]:
        classes = tuple((str(c[0]), None if c[1] is None else int(c[1])) for c in s["classes"])
        if not classes or classes[-1][1] is not None:
            raise CreditConfigError(f"信用等级标准“{s['code']}”的最后一级应不设下限（null）")
        mins = [m for _, m in classes[:-1]]
        if any(m is None for m in mins) or mins != sorted(mins, reverse=True):  # type: ignore[type-var]
            raise CreditConfigError(f"信用等级标准“{s['code']}”的各级下限应从高到低排列")
        scales.append(Scale(s["code"], s["name"], _date(s["valid_from"]) or dt.date.min, _date(s.get("valid_to")),
                            int(s["base"]), classes))
    scales.sort(key=lambda s: s.valid_from)
    events = {code: EventType(code, e["label"], int(e["points"]), int(e["points"]) < 0)
              for code, e in cfg["events"].items()}
    r = cfg.get("rules", {})
    rules = Rules(frozenset(r.get("black_event_kinds", ())), tuple(r.get("black_consecutive", ("D", 2))),  # type: ignore[arg-type]
                  tuple(r.get("red_consecutive", ("A", 2))), int(r.get("red_clean_days", 365)),  # type: ignore[arg-type]
                  dict(r.get("repair_min_months", {"default": 12})), int(r.get("black_list_months", 36)),
                  int(r.get("red_list_months", 12)))
    unknown = rules.black_event_kinds - set(events)
    if unknown:
        raise CreditConfigError(f"失信名单规则引用了未定义的信用事件：{', '.join(sorted(unknown))}")
    return Config(tuple(scales), events, rules, dict(cfg["weights"]), str(cfg.get("default_class", "B")))


def scale_on(config: Config, on: dt.date) -> Scale:
    for s in reversed(config.scales):
        if s.valid_from <= on and (s.valid_to is None or on <= s.valid_to):
            return s
    raise CreditConfigError(f"{on:%Y-%m-%d} 没有生效的信用等级标准，请检查 SUPERVISION_CREDIT 的 scales")


@dataclass(frozen=True)
class Event:
    on: dt.date
    kind: str
    points: int


@dataclass(frozen=True)
class YearRating:
    year: int
    points: int
    credit_class: str
    scale: str


def rate_year(config: Config, events: Iterable[Event], year: int) -> YearRating:
    """The year's score and class, on the scale in force on 31 December of that year."""
    scale = scale_on(config, dt.date(year, 12, 31))
    points = scale.base + sum(e.points for e in events if e.on.year == year)
    return YearRating(year, points, scale.classify(points), scale.code)


@dataclass(frozen=True)
class Proposal:
    list_type: str  # "black" or "red"
    rule: str
    reason: str  # Chinese, shown on the list entry


def list_proposals(config: Config, ratings: Mapping[int, str], events: Sequence[Event], on: dt.date
                   ) -> list[Proposal]:
    """Which lists the subject qualifies for on ``on``, from its yearly classes and its events."""
    r = config.rules
    out: list[Proposal] = []
    for e in events:
        if e.kind in r.black_event_kinds and e.on <= on:
            label = config.events[e.kind].label if e.kind in config.events else e.kind
            out.append(Proposal("black", f"event:{e.kind}", f"{e.on:%Y-%m-%d} 发生“{label}”，依规列入失信名单"))
            break
    cls, n = r.black_consecutive
    last = on.year - 1  # classes of finished years only
    years = list(range(last - n + 1, last + 1))
    if n > 0 and all(ratings.get(y) == cls for y in years):
        out.append(Proposal("black", f"class:{cls}x{n}",
                            f"{years[0]}—{years[-1]} 年连续 {n} 年信用等级为 {cls}，列入失信名单"))
    cls, n = r.red_consecutive
    years = list(range(last - n + 1, last + 1))
    since = on - dt.timedelta(days=r.red_clean_days)
    negative = [e for e in events if e.points < 0 and since < e.on <= on]
    if n > 0 and all(ratings.get(y) == cls for y in years) and not negative and not any(
            p.list_type == "black" for p in out):
        out.append(Proposal("red", f"class:{cls}x{n}",
                            f"{years[0]}—{years[-1]} 年连续 {n} 年信用等级为 {cls}，且近 {r.red_clean_days} 天无失信记录，列入守信名单"))
    return out


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m + 1, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover - day 28 exists in every month


def repair_refusals(config: Config, *, rule: str, entered_on: dt.date, on: dt.date, open_rectifications: int,
                    unpaid_penalties: int = 0) -> list[str]:
    """Why a black-list entry may not be repaired (信用修复) yet; empty when it may.

    Conditions: the minimum period for the rule has passed (``repair_min_months``: per event kind, else
    ``default``), every rectification order is closed, and no penalty is unpaid.
    """
    kind = rule.split(":", 1)[1] if rule.startswith("event:") else ""
    months = config.rules.repair_min_months.get(kind, config.rules.repair_min_months.get("default", 12))
    out = []
    earliest = add_months(entered_on, months)
    if on < earliest:
        out.append(f"列入失信名单未满 {months} 个月，{earliest:%Y-%m-%d} 起方可申请信用修复")
    if open_rectifications:
        out.append(f"尚有 {open_rectifications} 项整改未完成，完成整改并经复查后方可申请信用修复")
    if unpaid_penalties:
        out.append(f"尚有 {unpaid_penalties} 项行政处罚未履行完毕")
    return out
