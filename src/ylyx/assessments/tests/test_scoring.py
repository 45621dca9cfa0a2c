"""GB/T 42195-2022 scoring, hand-worked from the standard's tables (standards.md §1.1)."""

from __future__ import annotations

import pytest

from ylyx.assessments import scoring as S


def best() -> dict[str, int]:
    return {i.code: i.max for i in S.ITEMS}


def with_(**changes: int) -> dict[str, int]:
    a = best()
    for k, v in changes.items():
        a[k.replace("_", ".").replace("B.", "B.")] = v
    return a


def test_the_instrument_has_26_items_in_four_indicators_with_the_published_maxima():
    assert len(S.ITEMS) == 26
    assert [len(d.items) for d in S.DIMENSIONS] == [8, 4, 9, 5]
    assert [d.max for d in S.DIMENSIONS] == [32, 15, 28, 15]
    assert S.MAX_TOTAL == 90
    ranges = {i.code: sorted(i.scores) for i in S.ITEMS}
    assert ranges["B.2.4"] == ranges["B.4.4"] == [0, 1, 2, 3]
    assert ranges["B.3.9"] == ranges["B.4.1"] == ranges["B.4.2"] == [0, 1, 2]
    assert ranges["B.3.7"] == ranges["B.3.8"] == [0, 1]
    assert all(ranges[c] == [0, 1, 2, 3, 4] for c in ranges
               if c not in {"B.2.4", "B.4.4", "B.3.9", "B.4.1", "B.4.2", "B.3.7", "B.3.8"})


@pytest.mark.parametrize(("total", "level"), [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3),
                                              (29, 4), (0, 4)])
def test_level_boundaries(total, level):
    assert S.preliminary_level(total) == level


def test_intact_person_scores_90_and_level_0():
    r = S.score(best())
    assert r.scores == {"self_care": 32, "motor": 15, "mental": 28, "perception": 15}
    assert (r.total, r.preliminary_level, r.level, r.reasons) == (90, 0, 0, ())


def case_mild() -> dict[str, int]:
    """Hand-worked: bathing with help (2), stairs with guidance (2), memory mildly impaired (3),
    transport by taxi only (2): 32-2 + 15-1 + 28-1 + 15-1 = 85 → level 1."""
    a = best()
    a.update({"B.1.3": 2, "B.2.4": 2, "B.3.4": 3, "B.4.4": 2})
    return a


def case_moderate() -> dict[str, int]:
    """Hand-worked 中度: B.1 = 4+2+1+2+2+3+3+2 = 19; B.2 = 3+2+2+1 = 8; B.3 = 3+3+3+2+3+3+1+0+2 = 20;
    B.4 = 1+1+2+1+3 = 8; total 55 → level 2."""
    return {"B.1.1": 4, "B.1.2": 2, "B.1.3": 1, "B.1.4": 2, "B.1.5": 2, "B.1.6": 3, "B.1.7": 3, "B.1.8": 2,
            "B.2.1": 3, "B.2.2": 2, "B.2.3": 2, "B.2.4": 1,
            "B.3.1": 3, "B.3.2": 3, "B.3.3": 3, "B.3.4": 2, "B.3.5": 3, "B.3.6": 3, "B.3.7": 1, "B.3.8": 0,
            "B.3.9": 2, "B.4.1": 1, "B.4.2": 1, "B.4.3": 2, "B.4.4": 1, "B.4.5": 3}


def case_severe() -> dict[str, int]:
    """Hand-worked 重度: every 0–4 item at 1, B.2.4 and B.4.4 at 1, the 0–2 items at 1, B.3.7/B.3.8 at 1:
    B.1 = 8; B.2 = 1+1+1+1 = 4; B.3 = 6×1 + 1 + 1 + 1 = 9; B.4 = 1+1+1+1+1 = 5; total 26 → level 4.
    Raising B.1.1 and B.1.2 to 4 and B.3.1 and B.3.2 to 3 adds 3+3+2+2 = 10: total 36 → level 3."""
    a = {i.code: 1 for i in S.ITEMS}
    return a


def test_hand_worked_totals_and_levels():
    r = S.score(case_mild())
    assert (r.scores["self_care"], r.scores["motor"], r.scores["mental"], r.scores["perception"]) == (30, 14, 27, 14)
    assert (r.total, r.level) == (85, 1)
    r = S.score(case_moderate())
    assert r.scores == {"self_care": 19, "motor": 8, "mental": 20, "perception": 8}
    assert (r.total, r.preliminary_level, r.level) == (55, 2, 2)
    a = case_severe()
    assert (S.score(a).total, S.score(a).level) == (26, 4)
    a.update({"B.1.1": 4, "B.1.2": 4, "B.3.1": 3, "B.3.2": 3})
    assert (S.score(a).total, S.score(a).level) == (36, 3)


def test_rule_1_coma_is_complete_loss_by_default_and_configurable():
    r = S.score(case_mild(), S.Conditions(coma=True))
    assert (r.preliminary_level, r.level) == (1, 4)
    assert "昏迷" in r.reasons[0]
    r = S.score(case_mild(), S.Conditions(coma=True), S.Config(coma_level=3))  # the B.3.9 note's reading
    assert r.level == 3


def test_rule_2_dementia_or_psychiatric_diagnosis_raises_one_level():
    assert S.score(case_mild(), S.Conditions(dementia=True)).level == 2
    r = S.score(case_moderate(), S.Conditions(psychiatric=True))
    assert (r.preliminary_level, r.level) == (2, 3)
    assert "F04" in r.reasons[0]


def test_rule_3_two_or_more_care_risk_events_raise_one_level():
    assert S.score(case_mild(), S.Conditions(risk_events={"fall": 1})).level == 1  # one event: no change
    assert S.score(case_mild(), S.Conditions(risk_events={"fall": 1, "choking": 1})).level == 2
    assert S.score(case_mild(), S.Conditions(risk_events={"wandering": 2})).level == 2
    r = S.score(best(), S.Conditions(risk_events={"self_harm": 3}))
    assert (r.preliminary_level, r.level) == (0, 1)


def test_rules_2_and_3_together_raise_one_level_unless_configured_to_stack():
    both = S.Conditions(dementia=True, risk_events={"fall": 2})
    assert S.score(case_mild(), both).level == 2
    assert S.score(case_mild(), both, S.Config(stack=True)).level == 3


def test_level_is_capped_at_complete_loss():
    a = case_severe()  # 26 → 4
    r = S.score(a, S.Conditions(dementia=True, risk_events={"fall": 3}), S.Config(stack=True))
    assert r.level == 4
    assert "不再提高" in r.reasons[0]


def test_coma_wins_over_the_other_rules():
    r = S.score(best(), S.Conditions(coma=True, dementia=True, risk_events={"fall": 3}))
    assert r.level == 4 and len(r.reasons) == 1


def test_invalid_answers_name_the_item():
    a = best()
    a["B.2.4"] = 4  # stairs is 0–3
    a["B.9.9"] = 1
    del a["B.1.1"]
    with pytest.raises(S.AnswerError) as e:
        S.score(a)
    assert set(e.value.errors) == {"B.2.4", "B.9.9", "B.1.1"}
    assert "上下楼梯" in e.value.errors["B.2.4"]
    assert S.validate({"B.1.1": True}, partial=True)  # booleans are not scores
    assert S.validate({"B.1.1": 3}, partial=True) == {}
