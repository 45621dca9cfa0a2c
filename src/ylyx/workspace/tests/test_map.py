"""The city map: markers for a filter (scoped), popups' links, choropleth with a legend, operators refused."""

from __future__ import annotations

import pytest

from ylyx import testing
from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan
from ylyx.regions.boundaries import generate_synthetic
from ylyx.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(tree):
    for k, (lat, lon) in {"city": (40.75, 107.4), "linhe": (40.75, 107.4), "wuyuan": (41.09, 108.27),
                          "linhe_town": (40.76, 107.42), "wuyuan_town": (41.1, 108.3),
                          "linhe_village": (40.77, 107.43), "wuyuan_village": (41.11, 108.31)}.items():
        Region.objects.filter(code=tree[k].code).update(centroid_lat=lat, centroid_lon=lon)
    generate_synthetic(Region.objects.get(code=tree["city"].code))
    made = []
    for i, (where, kind, sub, beds, places_) in enumerate([
            ("linhe_village", "elder", "public", 120, 0), ("linhe_village", "community", "day_care", 10, 0),
            ("wuyuan_village", "elder", "private", 40, 0), ("wuyuan_village", "childcare", "cc_affordable", 0, 60)]):
        made.append(testing.make_institution(tree[where], kind=kind, subtype=sub, beds=beds, nursing_beds=min(beds, 5), places=places_,
                                             lat=40.7 + i / 10, lon=107.4 + i / 10, name=f"机构{i}"))
    return made


def test_markers_follow_filters_and_scope(client, tree, users, places):
    client.force_login(users["civil_affairs"])
    data = client.get("/map/data/").json()
    assert len(data["markers"]) == 4 + 0  # the fixture's operator institution has no coordinates
    assert len(client.get("/map/data/", {"kind": "elder"}).json()["markers"]) == 2
    assert len(client.get("/map/data/", {"kind": ["elder", "childcare"], "min_capacity": 50}).json()["markers"]) == 2
    m = client.get("/map/data/", {"kind": "childcare"}).json()["markers"][0]
    assert m["url"] == f"/institutions/{places[3].pk}/" and m["capacity"] == 60 and m["unit"] == "托位"
    client.force_login(users["county_officer"])  # 临河区 only
    assert {m["name"] for m in client.get("/map/data/").json()["markers"]} == {"机构0", "机构1"}
    client.force_login(users["operator"])
    assert client.get("/map/").status_code == 403


def test_choropleth_with_legend(client, tree, users, places):
    make_plan(STANDARD_ROWS, code="bayannur-test")
    client.force_login(users["civil_affairs"])
    resp = client.get("/map/", {"indicator": "1"})
    assert resp.status_code == 200
    ch = resp.context["choropleth"]
    assert ch["name"].startswith("1 养老床位数") and ch["synthetic"]
    assert {f["properties"]["name"] for f in ch["features"]} == {"临河区", "五原县"}
    assert ch["legend"]
    html = resp.content.decode()
    assert 'class="map-legend"' in html and "演示边界为生成数据" in html
    assert resp.context["marker_count"] == 4
