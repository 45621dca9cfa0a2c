"""The five seed plans load exactly as their YAML files, and 巴彦淖尔's table as the published document."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from ylyx.indicators import formulas as F
from ylyx.indicators.models import IndicatorDefinition, Milestone, Plan, PlanIndicator
from ylyx.indicators.services import PLANS_DIR, load_seed_plans

SEEDS = Path(settings.REPO_DIR).parent / "shared" / "seeds"
FILES = sorted(PLANS_DIR.glob("*.yaml"))


def yaml_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def loaded(db):
    return load_seed_plans()


def test_all_five_plans_load(loaded):
    assert len(FILES) == 5
    assert set(loaded) == {"bayannur-2021", "chifeng-2022", "langfang-2021", "neimenggu-2021", "yaan-2022"}
    assert set(loaded.values()) == {"created"}
    assert Plan.objects.filter(is_seed=True).count() == 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_row_is_exactly_the_yaml(loaded, path):
    data = yaml_of(path)
    plan = Plan.objects.get(code=data["code"])
    assert plan.title == data["title"]
    assert plan.region_code == str(data["region_code"]).ljust(12, "0")
    assert plan.baseline_year == data["baseline_year"]
    assert plan.doc_number == (data["doc_number"] or "")
    assert plan.facts == (data.get("facts") or [])
    rows = list(plan.indicators.order_by("position"))
    assert len(rows) == len(data["indicators"])
    for row, want in zip(rows, data["indicators"], strict=True):
        got = (row.category, row.seq, row.name, row.unit or None, row.baseline_text, row.baseline_value,
               row.target_text, row.target_value, row.comparator, row.target_year, row.property or None,
               row.departments, row.source, row.quote, row.catalogue or None)
        expected = (want["category"], str(want["seq"]), want["name"], want["unit"], want["baseline_text"],
                    want["baseline_value"], want["target_text"], want["target_value"], want["comparator"],
                    want["target_year"], want["property"], want["departments"], want["source"], want["quote"],
                    want["catalogue"])
        assert got == expected
        if want["catalogue"]:
            assert row.definition.code == want["catalogue"]
            assert row.definition.kind == IndicatorDefinition.Kind.COMPUTED
        else:
            assert row.definition is None


def test_bayannur_rows_by_hand(loaded):
    plan = Plan.objects.get(code="bayannur-2021")
    beds = plan.indicators.get(key="6")
    assert (beds.name, beds.baseline_value, beds.target_value, beds.property) == ("养老床位数（张）", 12276, 14276, "预期性")
    nursing = plan.indicators.get(key="7")
    assert (nursing.baseline_text, nursing.target_text, nursing.target_value, nursing.property) == (
        "40", "≥55", 55, "约束性")
    life = plan.indicators.get(key="9")
    assert life.baseline_value == 77.51 and life.target_value == 77.6
    assert plan.indicators.get(key="10").comparator == ">"


def tokens(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


def test_bayannur_table_matches_the_document_text(loaded):
    """Each table row's seq, name, baseline, target and property appear in that order in the seed text."""
    path = SEEDS / "004_faba182730048215.txt"
    assert path.exists(), f"种子原文缺失：{path}"
    toks = tokens(path.read_text(encoding="utf-8"))
    plan = Plan.objects.get(code="bayannur-2021")
    checked = 0
    for row in plan.indicators.filter(source="table").order_by("position"):
        i = toks.index(row.name)
        assert toks[i - 1] == row.seq
        assert toks[i + 1] == row.baseline_text
        j = i + 2
        target = ""
        while toks[j] not in ("约束性", "预期性"):
            target += toks[j]
            j += 1
        assert target == row.target_text.replace(" ", "")
        assert toks[j] == row.property
        checked += 1
    assert checked == 18
    # the row the brief names
    i = toks.index("养老床位数（张）")
    assert toks[i + 1: i + 3] == ["12276", "14276"]


def test_other_plans_quote_their_documents(loaded):
    """Prose rows carry a quote that is in the document (whitespace aside)."""
    for path in FILES:
        data = yaml_of(path)
        if data.get("quote_note"):
            continue  # transcribed from a mixed rendering: quotes are normalised, not verbatim
        seed = SEEDS / data["source_file"]
        assert seed.exists(), f"种子原文缺失：{seed}"
        text = "".join(seed.read_text(encoding="utf-8").split())
        for row in Plan.objects.get(code=data["code"]).indicators.exclude(quote=None):
            assert "".join(row.quote.split()) in text, (data["code"], row.seq)


def test_yaan_keys_separate_categories(loaded):
    plan = Plan.objects.get(code="yaan-2022")
    assert plan.indicators.filter(seq="1").count() == 2
    keys = set(plan.indicators.values_list("key", flat=True))
    assert {"养老-1", "托育-1"} <= keys
    assert len(keys) == plan.indicators.count()
    # plans without repeats keep the seq as the key
    assert set(Plan.objects.get(code="bayannur-2021").indicators.values_list("key", flat=True)) >= {"1", "P1"}


def test_load_is_idempotent(loaded):
    counts = (Plan.objects.count(), PlanIndicator.objects.count(), Milestone.objects.count(),
              IndicatorDefinition.objects.count())
    ids = set(PlanIndicator.objects.values_list("pk", flat=True))
    again = load_seed_plans()
    assert set(again.values()) == {"unchanged"}
    assert (Plan.objects.count(), PlanIndicator.objects.count(), Milestone.objects.count(),
            IndicatorDefinition.objects.count()) == counts
    assert set(PlanIndicator.objects.values_list("pk", flat=True)) == ids


def test_reload_restores_a_tampered_seed_value(loaded):
    row = PlanIndicator.objects.get(plan__code="bayannur-2021", key="6")
    PlanIndicator.objects.filter(pk=row.pk).update(target_value=99999)
    assert load_seed_plans()["bayannur-2021"] == "updated"
    row.refresh_from_db()
    assert row.target_value == 14276


def test_default_milestones_from_baseline_to_target(loaded):
    row = PlanIndicator.objects.get(plan__code="bayannur-2021", key="6")
    assert list(row.milestones.values_list("year", "value")) == [
        (2021, 12676.0), (2022, 13076.0), (2023, 13476.0), (2024, 13876.0), (2025, 14276.0)]
    # no baseline in the document: no default path
    assert not PlanIndicator.objects.get(plan__code="bayannur-2021", key="1").milestones.exists()


def test_catalogue_rows_match_engine(loaded):
    for code, d in F.CATALOGUE.items():
        row = IndicatorDefinition.objects.get(code=code)
        assert (row.numerator, row.denominator or None, row.factor) == (d.numerator, d.denominator, d.factor)


def test_management_command(db, capsys):
    call_command("load_plans")
    out = capsys.readouterr().out
    assert "bayannur-2021: 新建" in out and "共 5 个规划" in out
    call_command("load_plans")
    assert "bayannur-2021: 无变化" in capsys.readouterr().out
