"""The visitor's phone page in Chromium: it goes offline, records three visits, comes back online, and the
three visits are on the server exactly once (client UUIDs make the sync idempotent)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ylyx import testing

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def visitor_with_tasks():
    from ylyx.visits import services
    from ylyx.visits.models import VisitorArea, VisitTask

    tree = testing.region_tree()
    for i, living in enumerate(["alone", "gugua", "empty_nest"]):
        testing.make_elderly(tree["linhe_village"], name=f"探访对象{i}", living_situation=living, address=f"演示路{i}号")
    testing.make_elderly(tree["linhe_village"], name="同住老人", living_situation="with_family")
    services.save_rule(None, region=tree["city"], name="全市", living_situations=["alone", "gugua", "empty_nest"])
    visitor = testing.make_user("town_officer", tree["linhe_town"])
    VisitorArea.objects.create(visitor=visitor, region=tree["linhe_village"])
    services.generate_month(None, tree["city"], timezone.localdate().replace(day=1))
    assert VisitTask.objects.unscoped("test").filter(assignee=visitor).count() == 3
    return visitor


def test_three_visits_recorded_offline_arrive_once(page, live_server, visitor_with_tasks):
    from ylyx.visits.models import Visit

    login(page, live_server.url, visitor_with_tasks.username, testing.PASSWORD)
    # the test server shares one in-memory SQLite database between threads: let the home page's own requests
    # finish first, so concurrent session writes do not collide (a test-set-up artefact, not the page's)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/visits/m/")
    page.wait_for_selector("#tasks li button.record")
    assert page.locator("#tasks li").count() == 3
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=45000)
    page.wait_for_function("caches.match(location.pathname, {ignoreVary: true}).then(r => !!r)", timeout=30000)

    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.reload()  # the page itself now comes from the service worker's cache
    page.wait_for_selector("#tasks li button.record")
    assert "离线" in page.inner_text("#net")
    for i in range(3):
        page.locator("#tasks li button.record", has_text="记录探访").first.click()
        page.fill("#visit-form input[name=health]", f"精神尚好{i}")
        if i == 0:
            page.check("#visit-form input[name=risks][value=safety]")
        page.click("#visit-save")
        page.wait_for_function(f"document.getElementById('sync-state').dataset.pending === '{i + 1}'")
    assert Visit.objects.unscoped("test").count() == 0

    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('sync-state').dataset.pending === '0'", timeout=20000)
    page.click("#sync-now")  # a second sync sends nothing twice
    visits = list(Visit.objects.unscoped("test").order_by("id"))
    assert len(visits) == 3
    assert len({v.task_id for v in visits}) == 3 and len({v.client_uuid for v in visits}) == 3
    assert all(v.synced_offline and v.visitor_id == visitor_with_tasks.pk for v in visits)
    assert sorted(v.health for v in visits) == ["精神尚好0", "精神尚好1", "精神尚好2"]
