import pytest

from ylyx.core import gates


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.setattr(gates, "_gates", {})


def test_reasons_of_every_gate_are_collected():
    gates.register("credit", lambda purpose, s: ["已列入失信名单"] if purpose == "subsidy" else [])
    gates.register("other", lambda purpose, s: [f"{s}暂停"] if purpose in ("subsidy", "new_filing") else [])
    assert gates.refusals("subsidy", "甲机构") == ["已列入失信名单", "甲机构暂停"]
    assert gates.refusals("new_filing", "甲机构") == ["甲机构暂停"]
    assert gates.refusals("affordable", "甲机构") == []
    with pytest.raises(ValueError):
        gates.refusals("no_such_purpose", "甲机构")


def test_a_broken_gate_refuses():
    def broken(purpose, subject):
        raise RuntimeError("db down")

    gates.register("credit", broken)
    reasons = gates.refusals("subsidy", object())
    assert len(reasons) == 1 and "credit" in reasons[0]
