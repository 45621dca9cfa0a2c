import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from ylyx import testing
from ylyx.planning import services
from ylyx.planning.models import Project


def _by_indicator(rows):
    return {r.indicator: r for r in rows}


def test_chifeng_gap_arithmetic_from_the_plans_norms(plan, stats, homes, tree):
    report = services.gap_report(plan, tree["city"], 2020)
    total = _by_indicator(report.total)
    assert total["beds"].basis_value == 1_050_000
    assert total["beds"].demand == pytest.approx(31_500)  # 3% of 1,050,000 elderly
    assert total["beds"].supply == 11_000 and total["beds"].gap == pytest.approx(20_500)
    assert total["nursing_beds"].demand == pytest.approx(0.55 * 11_000)  # 55% nursing share of the beds there are
    assert total["nursing_beds"].gap == pytest.approx(6_050 - 3_464)
    assert total["places"].demand == pytest.approx(18_000)  # 4.5 per 1,000 of 4,000,000
    assert total["places"].gap == pytest.approx(13_000)
    # rolled up as sums of the counties
    per = {r.code: _by_indicator(rows) for r, rows in report.rows}
    assert per["150802000000"]["beds"].demand + per["150821000000"]["beds"].demand == pytest.approx(31_500)


def test_projects_count_from_their_completion(plan, stats, homes, project, tree):
    before = _by_indicator(services.gap_report(plan, tree["city"], 2023).total)["beds"]
    after = _by_indicator(services.gap_report(plan, tree["city"], 2024).total)["beds"]
    assert after.supply - before.supply == 500
    project.stage = "operating"  # an operating project is a registry institution: never counted twice
    project.save()
    assert _by_indicator(services.gap_report(plan, tree["city"], 2024).total)["beds"].supply == before.supply
    assert not Project(stage="reserve").adds_by(dt.date(2030, 1, 1))  # no date, no capacity


def test_projected_years_use_the_projection(plan, stats, homes, tree):
    proj = services.projection_for(tree["linhe"])
    assert proj.rows[0]["year"] == 2020 and proj.rows[0]["total"] == 2_000_000
    assert proj.rows[0]["recorded"]["aged_60"] == 700_000
    row2030 = next(r for r in proj.rows if r["year"] == 2030)
    pop = services.population_in(tree["linhe"], 2030)
    assert pop["aged_60"] == row2030["aged_60"]


def test_gap_page_scoped_and_exported(client, users, plan, stats, homes, tree):
    testing.force_login(client, users["civil_affairs"])
    r = client.get(reverse("planning:gaps"), {"plan": plan.pk, "region": tree["city"].code, "year": 2020})
    assert r.status_code == 200
    html = r.content.decode()
    assert "31500" in html and "20400" in html  # the users fixture adds an operator's 100-bed home and "临河区" in html and "五原县" in html
    x = client.get(reverse("planning:gaps"), {"plan": plan.pk, "region": tree["city"].code, "year": 2020,
                                              "export": "xlsx"})
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxmlformats")
    # a county officer sees only their county, even when asking for the other one
    client.logout()
    testing.force_login(client, users["county_officer"])
    r = client.get(reverse("planning:gaps"), {"plan": plan.pk, "region": tree["wuyuan"].code, "year": 2020})
    assert r.status_code == 200 and r.context["region"] == tree["linhe"]
    assert "五原县" not in [reg.name for reg, _ in r.context["report"].rows]


@pytest.mark.parametrize("role", ["operator", "auditor", "sysadmin"])
def test_gap_page_refused(client, users, plan, role):
    testing.force_login(client, users[role])
    assert client.get(reverse("planning:gaps")).status_code == 403


def test_bad_year_is_named(client, users, plan, stats, homes, tree):
    testing.force_login(client, users["civil_affairs"])
    r = client.get(reverse("planning:gaps"), {"plan": plan.pk, "year": "20x0"})
    assert r.status_code == 200 and "年份" in r.context["warning"]


def test_projection_page_with_edited_assumptions(client, users, stats, tree):
    testing.force_login(client, users["county_officer"])
    r = client.get(reverse("planning:projection"), {"tfr": "1.8", "migration": "-2000"})
    assert r.status_code == 200
    res = r.context["result"]
    assert res.assumptions["tfr"] == 1.8 and res.assumptions["migration"] == -2000
    row2020 = res.rows[0]
    assert row2020["registry"] == {"aged_60": 0, "under_3": 0}  # what the registry records, beside the projection
    testing.make_elderly(tree["linhe_village"])
    r = client.get(reverse("planning:projection"))
    assert r.context["result"].rows[0]["registry"]["aged_60"] == 1
    r = client.get(reverse("planning:projection"), {"tfr": "9"})
    assert "总和生育率" in r.content.decode()


def test_gaps_command_json_and_csv(plan, stats, homes, tree):
    out = io.StringIO()
    call_command("gaps", plan=str(plan.pk), region="150800", year=2020, format="json", stdout=out)
    data = json.loads(out.getvalue())
    beds = next(r for r in data["total"] if r["indicator"] == "beds")
    assert beds["demand"] == pytest.approx(31_500) and beds["gap"] == pytest.approx(20_500)
    out = io.StringIO()
    call_command("gaps", plan=plan.code, region="150800000000", year=2020, format="csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][0] == "区划代码" and any(r[1] == "巴彦淖尔市（合计）" and r[6] == "31500" for r in rows)


def test_gaps_command_errors_are_named(plan, tree):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="规划不存在"):
        call_command("gaps", plan="999", region="150800", year=2020)
    with pytest.raises(CommandError, match="年份"):
        call_command("gaps", plan=str(plan.pk), region="150800", year=1999)


def test_gap_page_lists_residential_areas_short_of_the_standard(client, users, plan, stats, homes, tree):
    from ylyx.planning.models import ResidentialArea

    ResidentialArea.objects.create(name="河畔新城", region=tree["linhe_town"], households=1000, elder_room_area=120)
    ResidentialArea.objects.create(name="五原新居", region=tree["wuyuan_town"], households=1000, elder_room_area=50)
    testing.force_login(client, users["county_officer"])
    r = client.get(reverse("planning:gaps"), {"plan": plan.pk, "year": 2020})
    assert [c.name for c in r.context["area_checks"]] == ["河畔新城"]  # 五原 is outside a 临河 officer's scope
    assert r.context["area_checks"][0].shortfall_m2 == 80


def test_norms_page_add_delete_and_refusals(client, users, plan):
    from ylyx.planning.models import DemandNorm

    url = reverse("planning:norms", args=[plan.pk])
    testing.force_login(client, users["civil_affairs"])
    r = client.get(url)
    assert r.status_code == 200 and r.context["can_edit"] and len(r.context["rows"]) == 4
    r = client.post(url, {"indicator": "places", "basis": "under_3", "rate": "-1", "per": "100"})
    assert r.status_code == 200 and "rate" in r.context["form"].errors
    r = client.post(url, {"indicator": "beds", "basis": "demand:beds", "rate": "5", "per": "100"})
    assert "基数不能是本指标自身的需求" in r.content.decode()
    r = client.post(url, {"indicator": "places", "basis": "under_3", "rate": "10", "per": "100", "label": "入托率10%"})
    assert r.status_code == 302
    new = DemandNorm.objects.unscoped("test check").get(label="入托率10%")
    assert client.post(url, {"delete": new.pk}).status_code == 302
    assert not DemandNorm.objects.unscoped("test check").filter(pk=new.pk).exists()
    assert client.post(url, {"delete": "x1"}).status_code == 302  # bad id: a message, never a 500
    client.logout()
    testing.force_login(client, users["leader"])
    r = client.get(url)
    assert r.status_code == 200 and not r.context["can_edit"]
    assert client.post(url, {"indicator": "beds", "basis": "aged_60", "rate": "1", "per": "100"}).status_code == 403
