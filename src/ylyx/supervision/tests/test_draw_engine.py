"""The draw engine alone: determinism, sensitivity to every input, weights and recusal over 10,000 draws."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ylyx.supervision import draw as d

WEIGHTS = {"A": Decimal("0.5"), "B": Decimal("1"), "C": Decimal("1.5"), "D": Decimal("2")}


def pools(n_per_class: int = 20, inspectors: int = 10, ratio: str = "0.2", forced: dict[int, str] | None = None,
          employer: bool = True) -> d.Pools:
    forced = forced or {}
    targets = []
    i = 0
    for c in d.CLASSES:
        for _ in range(n_per_class):
            i += 1
            targets.append(d.Target(i, f"机构{i}", "150802001001" if i % 2 else "150821100200",
                                    "elder" if i % 3 else "childcare", c, forced=forced.get(i, "")))
    team = []
    for j in range(inspectors):
        region = "150800000000" if j < inspectors // 2 else ("150802000000" if j % 2 else "150821000000")
        domains = ("elder", "childcare") if j % 4 else ("elder",)
        recused = tuple(range(1 + j, len(targets) + 1, 7))
        team.append(d.Inspector(100 + j, f"JC{j:03d}", "市民政局", region, domains, recused))
    return d.Pools.freeze(targets, team, d.Params(Decimal(ratio), WEIGHTS, 2, employer))


SEED = "11" * 32


def test_the_same_inputs_give_the_same_result():
    p = pools()
    assert d.draw(SEED, p) == d.draw(SEED, p)
    assert d.draw(SEED, p).sha256 == d.draw(SEED, pools()).sha256  # rebuilt pools: same bytes, same result


def test_another_seed_or_witness_gives_another_result():
    p = pools()
    assert d.draw(SEED, p) != d.draw("12" * 32, p)
    assert d.draw(SEED, p) != d.draw(SEED, p, witness="公证员读出的数字 4711")


def test_changing_one_pool_entry_changes_the_result():
    p = pools()
    base = d.draw(SEED, p)
    t = list(p.targets)
    t[5] = d.Target(t[5].id, t[5].name + "（更名）", t[5].region, t[5].domain, t[5].credit_class)
    renamed = d.Pools.freeze(t, p.inspectors, p.params)
    assert renamed.targets_sha256 != p.targets_sha256
    assert d.draw(SEED, renamed).to_dict() != base.to_dict()
    ins = list(p.inspectors)
    ins[0] = d.Inspector(ins[0].id, ins[0].code, "市卫健委", ins[0].region, ins[0].domains, ins[0].recused)
    moved = d.Pools.freeze(p.targets, ins, p.params)
    assert d.draw(SEED, moved).to_dict() != base.to_dict()
    ratio = d.Pools.freeze(p.targets, p.inspectors, d.Params(Decimal("0.21"), WEIGHTS, 2, True))
    assert d.draw(SEED, ratio).to_dict() != base.to_dict()


def test_a_known_answer_pins_the_algorithm():
    """A re-implementation must reproduce these numbers exactly (docs/supervision-draw.md)."""
    key = bytes(32)
    s = d.Stream(key, "class:A")
    first = s.next_int53()
    import hashlib
    import hmac

    block = hmac.new(key, b"class:A\x00" + (0).to_bytes(8, "big"), hashlib.sha256).digest()
    assert first == int.from_bytes(block[:8], "big") >> 11
    assert s.take_int53(3) == [int.from_bytes(block[i:i + 8], "big") >> 11 for i in (8, 16, 24)]
    block2 = hmac.new(key, b"class:A\x00" + (1).to_bytes(8, "big"), hashlib.sha256).digest()
    assert s.next_int53() == int.from_bytes(block2[:8], "big") >> 11


def test_ten_thousand_draws_keep_each_class_ratio_and_never_pair_a_recused_inspector():
    p = pools()
    chosen = dict.fromkeys(d.CLASSES, 0)
    pool = dict.fromkeys(d.CLASSES, 0)
    recusals = {i.id: set(i.recused) for i in p.inspectors}
    region_of = {i.id: i.region for i in p.inspectors}
    domains_of = {i.id: i.domains for i in p.inspectors}
    target = {t.id: t for t in p.targets}
    bad = 0
    runs = 10_000
    for k in range(runs):
        r = d.draw(f"{k:064x}", p)
        for c, (n, s) in r.by_class.items():
            pool[c] += n
            chosen[c] += s
        for sel in r.selected:
            t = target[sel.target]
            assert len(sel.inspectors) == 2 and len(set(sel.inspectors)) == 2
            for i in sel.inspectors:
                county = region_of[i][:6]
                if (t.id in recusals[i] or t.domain not in domains_of[i]
                        or (not county.endswith("00") and t.region.startswith(county))):
                    bad += 1
    assert bad == 0
    for c in d.CLASSES:
        expected = float(min(Decimal(1), Decimal("0.2") * WEIGHTS[c]))
        assert abs(chosen[c] / pool[c] - expected) < 0.01, (c, chosen[c] / pool[c], expected)


def test_per_target_chance_is_the_class_probability():
    """Randomised rounding makes each member's chance exactly p, not just the class total."""
    p = pools(n_per_class=3, ratio="0.25")
    hits = dict.fromkeys((t.id for t in p.targets), 0)
    runs = 4000
    for k in range(runs):
        for sel in d.draw(f"{k:064x}", p).selected:
            hits[sel.target] += 1
    for t in p.targets:
        assert abs(hits[t.id] / runs - float(Decimal("0.25") * WEIGHTS[t.credit_class])) < 0.04


def test_forced_targets_are_always_in_and_count_against_the_quota():
    p = pools(forced={1: "新开业", 2: "投诉属实", 61: "新开业"})
    for k in range(200):
        r = d.draw(f"{k:064x}", p)
        ids = {s.target for s in r.selected}
        assert {1, 2, 61} <= ids
        assert r.by_class["A"][1] in (2, 3)  # quota 20 × 0.1 = 2: both forced A targets fill it
        assert {s.forced for s in r.selected if s.target in (1, 2)} == {"新开业", "投诉属实"}


def test_too_few_eligible_inspectors_is_an_error_not_a_short_team():
    p = pools(inspectors=2)
    with pytest.raises(d.DrawError, match="可派检查人员不足 2 人"):
        for k in range(20):
            d.draw(f"{k:064x}", p)


def test_parameters_are_checked():
    with pytest.raises(d.DrawError, match="至少应派 2 名"):
        d.Pools.freeze([], [], d.Params(Decimal("0.2"), WEIGHTS, 1))
    with pytest.raises(d.DrawError, match="抽查比例"):
        d.Pools.freeze([], [], d.Params(Decimal("0"), WEIGHTS, 2))
    with pytest.raises(d.DrawError, match="信用等级“E”无效"):
        d.Pools.freeze([d.Target(1, "x", "150802001001", "elder", "E")], [], d.Params(Decimal("0.2"), WEIGHTS))


def test_a_published_document_verifies_and_a_tampered_one_does_not(tmp_path, capsys):
    p = pools()
    seed = d.new_seed()
    result = d.draw(seed, p, "7")
    doc = d.document(task={"id": 1, "title": "测试"}, pools=p, commitment=d.commitment_of(seed),
                     committed_at="2025-03-01T09:00:00+08:00", seed=seed, witness="7",
                     drawn_at="2025-03-02T09:00:00+08:00", result=result)
    doc = json.loads(json.dumps(doc, ensure_ascii=False))  # as downloaded
    assert d.verify_document(doc) == []
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert d.main([str(path)]) == 0
    assert "核验通过" in capsys.readouterr().out

    swapped = json.loads(json.dumps(doc))
    swapped["targets"][3]["credit_class"] = "D" if swapped["targets"][3]["credit_class"] != "D" else "A"
    assert any("检查对象名录的 SHA-256" in m for m in d.verify_document(swapped))
    other_seed = json.loads(json.dumps(doc))
    other_seed["seed"] = d.new_seed()
    assert any("承诺值不一致" in m for m in d.verify_document(other_seed))
    edited = json.loads(json.dumps(doc))
    edited["result"]["selected"][0]["inspectors"].reverse()
    edited["result"]["selected"][0]["inspectors"][0] += 0
    edited["result"]["selected"].pop()
    assert any("复算的抽取结果" in m for m in d.verify_document(edited))
    path.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    assert d.main([str(path)]) == 1


def test_an_undrawn_document_says_so():
    p = pools()
    doc = d.document(task={"id": 1}, pools=p, commitment=d.commitment_of(d.new_seed()), committed_at="x")
    assert d.verify_document(doc) == ["尚未抽取：种子未公布，只能核对承诺值和名录摘要"]


def test_city_inspectors_are_not_recused_by_region_but_county_ones_are():
    params = d.Params(Decimal("0.2"), WEIGHTS, 2, True)
    t = d.Target(1, "x", "150802001001", "elder")
    assert not d.recused(d.Inspector(1, "a", "市", "150800000000"), t, params)
    assert d.recused(d.Inspector(2, "b", "区", "150802000000"), t, params)
    assert not d.recused(d.Inspector(3, "c", "县", "150821000000"), t, params)
    no_rule = d.Params(Decimal("0.2"), WEIGHTS, 2, False)
    assert not d.recused(d.Inspector(2, "b", "区", "150802000000"), t, no_rule)
