"""Subsidy programmes as data: eligibility rules over registry facts and amount formulas. Plain Python.

A programme's ``eligibility`` is a JSON tree::

    {"all": [{"field": "age", "op": ">=", "value": 80}, {"field": "economic_status", "op": "in",
              "value": ["dibao", "tekun"]}]}
    {"any": [...]}, {"not": {...}}

with ops ``== != > >= < <= in not_in between`` (``between`` takes ``[lo, hi]``, both inclusive; ``hi`` may be
null). A missing fact (for example no assessment, so no ``level``) makes a comparison false.

``amount`` is one of::

    {"type": "fixed", "amount": 100}
    {"type": "per_unit", "unit": "residents", "rate": 100}
    {"type": "by_value", "field": "level", "amounts": {"2": 100, "3": 200, "4": 300}}
    {"type": "bands", "field": "age", "bands": [[80, 89, 100], [90, 99, 200], [100, null, 500]]}
    {"type": "per_unit_by_value", "unit": "units", "field": "rate_key", "rates": {"new": 3000, ...}}

each optionally with ``"cap": 5000`` (the most one payee gets for one period) and ``"cap_units": "beds"`` (the
units paid never exceed that fact, e.g. registered beds). Rules are compiled once to closures, so a month's
batch over hundreds of thousands of people evaluates each rule in microseconds.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Facts = Mapping[str, Any]
Pred = Callable[[Facts], bool]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
    "between": lambda a, b: a >= b[0] and (b[1] is None or a <= b[1]),
}
OP_LABELS = {"==": "等于", "!=": "不等于", ">": "大于", ">=": "不小于", "<": "小于", "<=": "不大于", "in": "属于",
             "not_in": "不属于", "between": "介于"}
AMOUNT_TYPES = ("fixed", "per_unit", "by_value", "bands", "per_unit_by_value")


class RuleError(ValueError):
    """A programme's rule or amount that cannot be used; the message is Chinese and names the part."""


def compile_rule(rule: Any, path: str = "资格条件") -> Pred:
    if rule in (None, {}, []):
        return lambda f: True
    if not isinstance(rule, dict):
        raise RuleError(f"{path}应为对象")
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        parts = rule[key]
        if not isinstance(parts, list):
            raise RuleError(f"{path}.{key} 应为列表")
        preds = [compile_rule(p, f"{path}.{key}[{i}]") for i, p in enumerate(parts)]
        if key == "all":
            return lambda f: all(p(f) for p in preds)
        return lambda f: any(p(f) for p in preds)
    if "not" in rule:
        inner = compile_rule(rule["not"], f"{path}.not")
        return lambda f: not inner(f)
    name, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{path}缺少 field（事实字段名）")
    fn = OPS.get(op)  # type: ignore[arg-type]
    if fn is None:
        raise RuleError(f"{path}的比较符“{op}”无效，应为 {' '.join(OPS)} 之一")
    if op in ("in", "not_in"):
        if not isinstance(value, list):
            raise RuleError(f"{path}的 value 应为列表")
        value = frozenset(value)
    if op == "between" and not (isinstance(value, list) and len(value) == 2):
        raise RuleError(f"{path}的 value 应为 [下限, 上限]")

    def pred(f: Facts, name: str = name, fn: Callable = fn, value: Any = value) -> bool:
        v = f.get(name)
        if v is None:
            return False
        try:
            return bool(fn(v, value))
        except TypeError:
            return False

    return pred


def describe(rule: Any) -> str:
    """The rule in Chinese words, for the programme page."""
    if rule in (None, {}, []):
        return "无条件"
    if "all" in rule:
        return "（" + "，且".join(describe(p) for p in rule["all"]) + "）"
    if "any" in rule:
        return "（" + "，或".join(describe(p) for p in rule["any"]) + "）"
    if "not" in rule:
        return "并非" + describe(rule["not"])
    return f"{rule.get('field')} {OP_LABELS.get(rule.get('op'), rule.get('op'))} {rule.get('value')}"


@dataclass(frozen=True)
class Amount:
    value: Decimal
    units: int | None = None
    basis: str = ""  # Chinese, e.g. "入住 80 人 × 100 元"
    capped: bool = False


AmountFn = Callable[[Facts], Amount | None]


def _dec(x: Any, path: str) -> Decimal:
    try:
        d = Decimal(str(x))
    except Exception as e:  # noqa: BLE001
        raise RuleError(f"{path}应为金额数字") from e
    if d < 0:
        raise RuleError(f"{path}不能为负数")
    return d


def compile_amount(spec: Any, path: str = "金额") -> AmountFn:
    if not isinstance(spec, dict) or spec.get("type") not in AMOUNT_TYPES:
        raise RuleError(f"{path}的 type 应为 {'、'.join(AMOUNT_TYPES)} 之一")
    kind = spec["type"]
    cap = _dec(spec["cap"], f"{path}.cap") if spec.get("cap") is not None else None
    cap_units = spec.get("cap_units")

    def units_of(f: Facts, unit: str) -> tuple[int, str] | None:
        n = f.get(unit)
        if n is None:
            return None
        n = int(n)
        note = ""
        if cap_units:
            limit = f.get(cap_units)
            if limit is not None and n > int(limit):
                note = f"（超过{cap_units} {int(limit)}，按 {int(limit)} 计）"
                n = int(limit)
        return n, note

    base: AmountFn
    if kind == "fixed":
        amt = _dec(spec.get("amount"), f"{path}.amount")
        base = lambda f: Amount(amt, None, f"{amt} 元")  # noqa: E731
    elif kind == "per_unit":
        rate, unit = _dec(spec.get("rate"), f"{path}.rate"), str(spec.get("unit") or "")
        if not unit:
            raise RuleError(f"{path}缺少 unit")

        def base(f: Facts) -> Amount | None:
            u = units_of(f, unit)
            if u is None or u[0] <= 0:
                return None
            return Amount(rate * u[0], u[0], f"{unit} {u[0]} × {rate} 元{u[1]}")
    elif kind in ("by_value", "per_unit_by_value"):
        fld = str(spec.get("field") or "")
        table = spec.get("amounts" if kind == "by_value" else "rates")
        if not fld or not isinstance(table, dict) or not table:
            raise RuleError(f"{path}缺少 field 或金额表")
        rates = {str(k): _dec(v, f"{path}[{k}]") for k, v in table.items()}
        unit = str(spec.get("unit") or "")
        if kind == "per_unit_by_value" and not unit:
            raise RuleError(f"{path}缺少 unit")

        def base(f: Facts) -> Amount | None:
            key = f.get(fld)
            r = rates.get(str(key)) if key is not None else None
            if r is None:
                return None
            if kind == "by_value":
                return Amount(r, None, f"{fld}={key}：{r} 元")
            u = units_of(f, unit)
            if u is None or u[0] <= 0:
                return None
            return Amount(r * u[0], u[0], f"{unit} {u[0]} × {r} 元（{fld}={key}）{u[1]}")
    else:  # bands
        fld, bands = str(spec.get("field") or ""), spec.get("bands")
        if not fld or not isinstance(bands, list) or not bands:
            raise RuleError(f"{path}缺少 field 或 bands")
        parsed = []
        for i, b in enumerate(bands):
            if not (isinstance(b, list) and len(b) == 3):
                raise RuleError(f"{path}.bands[{i}] 应为 [下限, 上限, 金额]")
            parsed.append((b[0], b[1], _dec(b[2], f"{path}.bands[{i}]")))

        def base(f: Facts) -> Amount | None:
            v = f.get(fld)
            if v is None:
                return None
            for lo, hi, amt in parsed:
                if (lo is None or v >= lo) and (hi is None or v <= hi):
                    return Amount(amt, None, f"{fld} {lo}—{hi if hi is not None else ''}：{amt} 元")
            return None

    if cap is None:
        return base

    def capped(f: Facts) -> Amount | None:
        a = base(f)
        if a is not None and a.value > cap:
            return Amount(cap, a.units, f"{a.basis}，封顶 {cap} 元", True)
        return a

    return capped


@dataclass
class Programme:
    """What the engine needs of a programme row (subsidies.models.Programme.spec())."""

    id: int
    code: str
    payee: str  # person / institution / application
    eligibility: Any
    amount: Any
    exclusive_group: str = ""
    priority: int = 0
    _pred: Pred | None = field(default=None, repr=False)
    _amount: AmountFn | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._pred = compile_rule(self.eligibility)
        self._amount = compile_amount(self.amount)

    def evaluate(self, facts: Facts) -> Amount | None:
        """The amount due for one payee and period, or None when not eligible."""
        assert self._pred is not None and self._amount is not None
        if not self._pred(facts):
            return None
        return self._amount(facts)


@dataclass(frozen=True)
class Entitlement:
    programme: Programme
    payee_key: str
    amount: Amount


def entitlements(programmes: list[Programme], payee_key: str, facts: Facts) -> tuple[list[Entitlement], list[str]]:
    """Every programme a payee is due, with mutually exclusive programmes resolved: in each exclusive group
    only the one with the highest priority (then the highest amount) is paid; the others are reported."""
    due: list[Entitlement] = []
    for p in programmes:
        a = p.evaluate(facts)
        if a is not None and a.value > 0:
            due.append(Entitlement(p, payee_key, a))
    notes: list[str] = []
    groups: dict[str, list[Entitlement]] = {}
    for e in due:
        if e.programme.exclusive_group:
            groups.setdefault(e.programme.exclusive_group, []).append(e)
    if not any(len(g) > 1 for g in groups.values()):
        return due, notes
    drop: set[int] = set()
    for g in groups.values():
        if len(g) < 2:
            continue
        g.sort(key=lambda e: (-e.programme.priority, -e.amount.value, e.programme.id))
        for e in g[1:]:
            drop.add(id(e))
            notes.append(f"{e.programme.code} 与 {g[0].programme.code} 互斥，按 {g[0].programme.code} 发放")
    return [e for e in due if id(e) not in drop], notes


# ---------------------------------------------------------------------------------------------------
# Column-wise evaluation: the same rules over numpy arrays (one array per fact), for the month batch over
# hundreds of thousands of people. Semantics equal the scalar path: a missing fact (NaN, None) is false.

Columns = Mapping[str, Any]  # fact name → numpy array (float with NaN for numbers, object for text, bool)


def _np():
    import numpy as np

    return np


def _present(col: Any):
    np = _np()
    if col.dtype.kind == "f":
        return ~np.isnan(col)
    if col.dtype.kind == "O":
        return np.array([v is not None for v in col], dtype=bool)
    return np.ones(len(col), dtype=bool)


def _cmp(col: Any, op: str, value: Any):
    np = _np()
    if op in ("in", "not_in"):
        vals = list(value)
        if col.dtype.kind in "fiub":
            nums = [float(v) for v in vals if isinstance(v, int | float) and not isinstance(v, bool)] if col.dtype.kind == "f" \
                else vals
            hit = np.isin(col, nums)
        else:
            hit = np.isin(col, vals)
        return (hit if op == "in" else ~hit) & _present(col)
    if op == "between":
        lo, hi = value
        with np.errstate(invalid="ignore"):
            res = col >= lo
            if hi is not None:
                res &= col <= hi
        return np.asarray(res, dtype=bool) & _present(col)
    with np.errstate(invalid="ignore"):
        res = OPS[op](col, value)
    return np.asarray(res, dtype=bool) & _present(col)


def compile_rule_np(rule: Any, path: str = "资格条件") -> Callable[[Columns, int], Any]:
    compile_rule(rule, path)  # the same validation and messages as the scalar path
    np = _np()

    def build(r: Any) -> Callable[[Columns, int], Any]:
        if r in (None, {}, []):
            return lambda c, n: np.ones(n, dtype=bool)
        if "all" in r or "any" in r:
            key = "all" if "all" in r else "any"
            parts = [build(p) for p in r[key]]

            def combine(c: Columns, n: int):
                out = np.ones(n, dtype=bool) if key == "all" else np.zeros(n, dtype=bool)
                for p in parts:
                    out = (out & p(c, n)) if key == "all" else (out | p(c, n))
                return out
            return combine
        if "not" in r:
            inner = build(r["not"])
            return lambda c, n: ~inner(c, n)
        name, op, value = r["field"], r["op"], r["value"]

        def leaf(c: Columns, n: int):
            col = c.get(name)
            if col is None:
                return np.zeros(n, dtype=bool)
            try:
                return _cmp(col, op, value)
            except TypeError:
                return np.zeros(n, dtype=bool)
        return leaf

    return build(rule)


@dataclass
class Many:
    """A programme's amounts over all rows: ``amount`` NaN where nothing is due; ``basis(i)`` explains row i."""

    amount: Any
    units: Any | None
    basis: Callable[[int], str]


def compile_amount_np(spec: Any, path: str = "金额") -> Callable[[Columns, int], Many]:
    compile_amount(spec, path)  # validation
    np = _np()
    kind = spec["type"]
    cap = float(spec["cap"]) if spec.get("cap") is not None else None
    cap_units = spec.get("cap_units")

    def units_of(c: Columns, unit: str):
        u = np.asarray(c.get(unit), dtype=float)
        if cap_units and c.get(cap_units) is not None:
            u = np.fmin(u, np.asarray(c[cap_units], dtype=float))
        return u

    def many(c: Columns, n: int) -> Many:
        units: Any = None
        if kind == "fixed":
            amt = np.full(n, float(spec["amount"]))
            basis = lambda i: f"{spec['amount']} 元"  # noqa: E731
        elif kind == "per_unit":
            units = units_of(c, spec["unit"])
            amt = np.where(units > 0, units * float(spec["rate"]), np.nan)
            basis = lambda i: f"{spec['unit']} {int(units[i])} × {spec['rate']} 元"  # noqa: E731
        elif kind in ("by_value", "per_unit_by_value"):
            table = spec["amounts" if kind == "by_value" else "rates"]
            col: Any = c.get(spec["field"])
            rate = np.full(n, np.nan)
            if col is not None:
                for k, v in table.items():
                    try:
                        hit = col == float(k) if col.dtype.kind in "fiu" else col == str(k)
                    except ValueError:
                        hit = col == str(k)
                    rate[np.asarray(hit, dtype=bool)] = float(v)
            if kind == "by_value":
                amt = rate
                basis = lambda i: f"{spec['field']}={_fmt(col[i])}：{_fmt(rate[i])} 元"  # noqa: E731
            else:
                units = units_of(c, spec["unit"])
                amt = np.where(units > 0, units * rate, np.nan)
                basis = lambda i: f"{spec['unit']} {int(units[i])} × {_fmt(rate[i])} 元（{spec['field']}={_fmt(col[i])}）"  # noqa: E731
        else:
            col = np.asarray(c.get(spec["field"]), dtype=float)
            amt = np.full(n, np.nan)
            labels = []
            for lo, hi, a in spec["bands"]:
                with np.errstate(invalid="ignore"):
                    hit = np.ones(n, dtype=bool) if lo is None else col >= lo
                    if hi is not None:
                        hit &= col <= hi
                hit &= np.isnan(amt)
                amt[hit] = float(a)
                labels.append(f"{spec['field']} {lo}—{hi if hi is not None else ''}：{a} 元")
            band = np.full(n, -1)
            for j, (lo, hi, _a) in enumerate(spec["bands"]):
                with np.errstate(invalid="ignore"):
                    hit = np.ones(n, dtype=bool) if lo is None else col >= lo
                    if hi is not None:
                        hit &= col <= hi
                band[hit & (band < 0)] = j
            basis = lambda i: labels[band[i]] if band[i] >= 0 else ""  # noqa: E731
        if cap is not None:
            over = amt > cap
            if over.any():
                inner = basis
                amt = np.where(over, cap, amt)
                basis = lambda i: f"{inner(i)}，封顶 {_fmt(cap)} 元" if over[i] else inner(i)  # noqa: E731
        return Many(amt, units, basis)

    return many


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def entitlements_many(programmes: list[Programme], cols: Columns, n: int,
                      notes: dict[int, str] | None = None) -> list[tuple[Programme, Any, Many]]:
    """Per programme: (programme, row mask of what is paid, amounts) with exclusive groups resolved — per row,
    the highest priority, then the highest amount, then the lowest programme id is paid; ``notes`` gets, for
    each row where that choice was made, the reason."""
    np = _np()
    out = []
    for p in programmes:
        pred = compile_rule_np(p.eligibility)(cols, n)
        m = compile_amount_np(p.amount)(cols, n)
        with np.errstate(invalid="ignore"):
            due = pred & ~np.isnan(m.amount) & (m.amount > 0)
        out.append([p, due, m])
    groups: dict[str, list[list]] = {}
    for row in out:
        if row[0].exclusive_group:
            groups.setdefault(row[0].exclusive_group, []).append(row)
    for rows in groups.values():
        if len(rows) < 2:
            continue
        best_prio = np.full(n, -10**9, dtype=float)
        best_amt = np.full(n, -1.0)
        best_idx = np.full(n, -1)
        for k, (p, due, m) in enumerate(sorted(rows, key=lambda r: r[0].id)):
            amt = np.where(due, m.amount, -1.0)
            better = due & ((p.priority > best_prio) | ((p.priority == best_prio) & (amt > best_amt)))
            best_prio = np.where(better, p.priority, best_prio)
            best_amt = np.where(better, amt, best_amt)
            best_idx = np.where(better, k, best_idx)
        ordered = sorted(rows, key=lambda r: r[0].id)
        several = np.sum([r[1] for r in ordered], axis=0) > 1
        for k, row in enumerate(ordered):
            row[1] = row[1] & (best_idx == k)
            if notes is not None:
                others = "、".join(r[0].code for j, r in enumerate(ordered) if j != k)
                for i in np.nonzero(row[1] & several)[0]:
                    notes[int(i)] = f"{others} 与 {row[0].code} 互斥，按 {row[0].code} 发放"
    return [(p, due, m) for p, due, m in out]
