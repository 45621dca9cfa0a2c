"""The rules engine: scalar and column-wise evaluation agree on every shipped programme and random facts;
bad rules are refused with a Chinese message naming the part."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ylyx.subsidies import rules

DATA = Path(rules.__file__).resolve().parent / "data" / "programmes.json"


def shipped(payee: str) -> list[rules.Programme]:
    rows = [r for r in json.loads(DATA.read_text(encoding="utf-8")) if r["payee"] == payee]
    return [rules.Programme(i, r["code"], r["payee"], r.get("eligibility"), r["amount"], r.get("exclusive_group", ""),
                            r.get("priority", 0)) for i, r in enumerate(rows, start=1)]


def test_scalar_and_columnwise_agree_on_random_people():
    rng = np.random.default_rng(8)
    n = 4000
    econ = np.array(["normal", "dibao", "dibao_edge", "tekun", "hardship"], dtype=object)[rng.integers(0, 5, n)]
    level = rng.integers(-1, 5, n).astype(float)
    level[level < 0] = np.nan
    cols = {"age": rng.integers(58, 104, n).astype(float), "economic_status": econ, "level": level,
            "in_institution": rng.random(n) < 0.2, "special_family": rng.random(n) < 0.05,
            "disability": np.array(["none"] * n, dtype=object), "region": np.array(["150802001001"] * n, dtype=object)}
    progs = shipped("person")
    notes: dict[int, str] = {}
    many = rules.entitlements_many(progs, cols, n, notes)
    for i in range(n):
        facts: dict[str, Any] = {k: (None if isinstance(v[i], float) and np.isnan(v[i]) else v[i])
                                 for k, v in cols.items()}
        facts["age"] = int(cols["age"][i])
        if facts["level"] is not None:
            facts["level"] = int(facts["level"])
        due, _ = rules.entitlements(progs, f"P{i}", facts)
        scalar = {e.programme.code: e.amount.value for e in due}
        columnwise = {p.code: Decimal(f"{m.amount[i]:.2f}") for p, mask, m in many if mask[i]}
        assert scalar == columnwise, (i, facts)
        if i in notes:
            assert "互斥" in notes[i]


def test_institution_amount_caps_units_at_registered_beds():
    (op,) = [p for p in shipped("institution") if p.code == "elder_operation"]
    facts = {"kind": "elder", "subtype": "private", "status": "operating", "filed": True, "credit_ok": True,
             "residents": 120, "beds": 100}
    a = op.evaluate(facts)
    assert a is not None and a.value == 10000 and "按 100 计" in a.basis
    assert op.evaluate({**facts, "credit_ok": False}) is None
    assert op.evaluate({**facts, "residents": 0}) is None


@pytest.mark.parametrize(("rule", "message"), [
    ({"field": "age", "op": "≈", "value": 1}, "比较符"),
    ({"all": {"field": "age"}}, "应为列表"),
    ({"field": "age", "op": "in", "value": 3}, "应为列表"),
    ({"op": ">=", "value": 1}, "缺少 field"),
])
def test_bad_rules_are_refused_in_chinese(rule, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.compile_rule(rule)


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "fixed"}, "amount应为金额数字"),
    ({"type": "per_unit", "rate": 100}, "缺少 unit"),
    ({"type": "unknown"}, "type 应为"),
    ({"type": "bands", "field": "age", "bands": [[80, 89]]}, "应为 \\[下限, 上限, 金额\\]"),
    ({"type": "fixed", "amount": -1}, "不能为负数"),
])
def test_bad_amounts_are_refused_in_chinese(spec, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.compile_amount(spec)
