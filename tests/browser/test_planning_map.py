"""The 15-minute circle map in Chromium: service circles, demand points and the chosen sites render on Leaflet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from ylyx import testing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_planning_map_renders_circles_and_sites(page, live_server, tmp_path):
    tree = testing.region_tree()
    tree["linhe"].centroid_lat, tree["linhe"].centroid_lon = 40.75, 107.39
    tree["linhe"].save()
    testing.make_institution(tree["linhe_town"], name="临河区颐养院", lat=40.752, lon=107.391, beds=120)
    testing.make_institution(tree["linhe_town"], name="临河区日间照料中心", kind="community", subtype="day_care",
                             lat=40.74, lon=107.40, beds=20, nursing_beds=0)
    user = testing.make_user("county_officer", tree["linhe"])
    client = Client()
    testing.force_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/planning/map/?region={tree['linhe'].code}&p=4")
    page.wait_for_function("window.ylyxPlanningMap !== undefined")
    state = page.evaluate("window.ylyxPlanningMap")
    assert state == {"map": state["map"], "circles": 2, "sites": 4}
    assert page.locator("path.service-circle").count() == 2
    assert page.locator("path.chosen-site").count() == 4
    assert "演示" in page.locator("p.synthetic").inner_text()
    out = Path(os.environ.get("YLYX_SCREENSHOT_DIR") or tmp_path) / "planning-map.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 20_000
