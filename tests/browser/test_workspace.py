"""The officials' workspace in Chromium on a small demo city: the city admin's home lists binding indicators
behind and a pending filing and clicks through to each; a county officer's home shows only their county;
the region picker finds a region by 拼音 initials; the map shows the right number of markers for a filter
and a choropleth legend."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.demo.build import build

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    from django.core.cache import cache

    cache.clear()
    result = build(scale=0.02, log=lambda *_: None)
    return {x.username: x for x in result.logins}


def _login(page, live_server, x):
    code = (lambda s=x.totp_secret: testing.code_for_secret(s)) if x.totp_secret else None
    login(page, live_server.url, x.username, x.password, totp_code=code)


def _pending_filing() -> str:
    """A childcare institution of the demo city with a filing waiting to be received (made if none is)."""
    from ylyx.institutions.models import Filing, Institution

    f = Filing.objects.unscoped("test set-up").filter(status="submitted").select_related("institution").first()
    if f is None:
        inst = Institution.objects.unscoped("test set-up").filter(kind="childcare", filing__isnull=True).first()
        f = Filing.objects.create(institution=inst, status="submitted", submitted_on=dt.date(2026, 11, 2))
    return f.institution.name


def test_city_admin_home_lists_binding_behind_and_a_pending_filing(page, live_server, demo):
    name = _pending_filing()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, demo["demo_weijian"])
    assert page.url.rstrip("/") == live_server.url
    page.wait_for_selector(".figure .spark svg")  # the ECharts sparklines drew
    assert not errors, errors
    rows = page.locator("table.behind tr.behind-row")
    assert rows.count() >= 2
    text = rows.all_inner_texts()
    assert any("居家社区养老服务覆盖率" in t and "巴彦淖尔市" in t for t in text)
    assert any("适龄儿童规划免疫疫苗接种率" in t for t in text)
    todo = page.locator(f".todo-list a:has-text('受理备案：{name}')")
    assert todo.count() == 1
    first = rows.first.locator("a")
    indicator = first.inner_text().split(" ", 1)[1]
    first.click()
    page.wait_for_load_state("domcontentloaded")
    assert "/indicators/" in page.url and indicator in page.inner_text("main")
    page.go_back()
    page.wait_for_load_state("domcontentloaded")
    page.locator(f".todo-list a:has-text('受理备案：{name}')").click()
    page.wait_for_load_state("domcontentloaded")
    assert "/institutions/" in page.url and name in page.inner_text("main")


def test_county_officer_home_shows_only_their_county_and_picks_a_town_by_pinyin(page, live_server, demo):
    from ylyx.regions.models import Region
    from ylyx.regions.picking import spellings

    _login(page, live_server, demo["demo_wuyuan"])
    main = page.inner_text("main")
    assert "五原县" in main
    others = [r.name for r in Region.objects.filter(parent_id="150800000000").exclude(code="150821000000")]
    assert not [n for n in others if n in main], "another county appears on the 五原县 home"
    for region_cell in page.locator("table.behind tr.behind-row td:nth-child(2)").all_inner_texts():
        assert Region.objects.filter(name=region_cell.strip(), code__startswith="150821").exists()
    town = Region.objects.filter(parent_id="150821000000").order_by("code").first()
    page.fill("#id_home_region ~ .rp-query", spellings(town.name)[1])
    page.locator(".rp-list .rp-option", has_text=town.name).first.click()
    page.wait_for_url(f"**/?region={town.code}")
    assert "正在查看：" in page.inner_text("main") and town.name in page.inner_text("main")
    page.goto(f"{live_server.url}/institutions/")  # the chosen town carries over
    assert town.name in page.inner_text("p.count")


def test_map_markers_for_a_filter_and_choropleth_legend(page, live_server, demo):
    from ylyx.institutions.models import Institution

    expected = Institution.objects.unscoped("test: count").filter(
        kind="elder", status="operating", lat__isnull=False, region__code__startswith="1508").count()
    assert expected > 0
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, demo["demo_lingdao"])
    page.goto(f"{live_server.url}/map/?kind=elder")
    page.wait_for_function("window.ylyxMap !== undefined")
    assert not errors, errors
    assert page.evaluate("window.ylyxMap.markerCount") == expected
    assert page.inner_text("#marker-count") == str(expected)
    shown = page.evaluate("""() => { let n = 0; document.querySelectorAll('.grid-cluster span').forEach(
        s => n += parseInt(s.textContent)); return n + document.querySelectorAll('path.leaflet-interactive').length; }""")
    assert shown >= expected  # clusters' counts plus single markers (plus choropleth areas)
    legend = page.locator(".map-legend li")
    assert legend.count() >= 2
    assert "演示边界" in page.inner_text("main")
