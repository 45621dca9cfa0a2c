"""Region picking by name, 拼音 and initials, inside the user's scope only; the choice carries across pages."""

from __future__ import annotations

import pytest

from ylyx.regions.picking import SESSION_KEY, search, spellings

pytestmark = pytest.mark.django_db


def test_spellings():
    assert spellings("乌拉特前旗") == ("wulateqianqi", "wltqq")


def test_search_by_name_pinyin_and_initials_within_scope(tree, users):
    city = users["civil_affairs"]
    assert [r.name for r in search(city, "lhq")] == ["临河区"]
    assert [r.name for r in search(city, "linhe")] == ["临河区"]
    assert [r.name for r in search(city, "临河")] == ["临河区"]
    assert [r.name for r in search(city, "wyx")] == ["五原县"]
    assert [r.name for r in search(city, "演示")] == ["演示街道一", "演示镇一", "演示社区一", "演示村一"]
    county = users["county_officer"]  # 临河区
    assert search(county, "wyx") == []
    assert [r.name for r in search(county, "演示")] == ["演示街道一", "演示社区一"]
    assert search(users["operator"], "lhq") == []
    assert search(city, "chifeng") == []  # another city


def test_search_and_children_views(client, tree, users):
    client.force_login(users["county_officer"])
    data = client.get("/regions/search/", {"q": "yssq"}).json()
    assert [(r["name"], r["label"]) for r in data["results"]] == [("演示社区一", "演示社区一（演示街道一）")]
    data = client.get("/regions/children/").json()
    assert data["node"]["name"] == "临河区" and [r["name"] for r in data["results"]] == ["演示街道一"]
    assert client.get("/regions/children/", {"parent": tree["wuyuan"].code}).status_code == 404


def test_chosen_region_carries_across_pages(client, tree, users):
    client.force_login(users["civil_affairs"])
    resp = client.get("/institutions/", {"region": tree["wuyuan"].code})
    assert resp.status_code == 200
    assert client.session[SESSION_KEY] == tree["wuyuan"].code
    resp = client.get("/people/elderly/")
    assert resp.context["region"] == tree["wuyuan"]
    resp = client.get("/")
    assert resp.context["region"] == tree["wuyuan"]
    client.get("/institutions/", {"region": ""})  # 清除
    assert SESSION_KEY not in client.session


def test_a_region_outside_scope_is_never_remembered(client, tree, users):
    client.force_login(users["county_officer"])
    client.get("/institutions/", {"region": tree["wuyuan"].code})
    assert SESSION_KEY not in client.session


def test_picker_widget_submits_only_the_code_of_a_picked_region(tree):
    from ylyx.regions.picking import picker_html

    html = picker_html("region", tree["linhe_village"])
    assert 'type="hidden" name="region" value="150802001001"' in html
    assert 'type="search"' in html and "演示社区一（演示街道一）" in html
    assert html.count("name=") == 1  # the search box is not submitted
