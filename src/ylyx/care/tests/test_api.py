"""The care API: provider steps with 409 out of order, withdraw exactly once per key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ylyx.care import services

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_order_steps_and_withdrawals(parent, item, users, funded):
    order = services.place_order(users["county_officer"], parent, item,
                                 wanted_on=timezone.localdate() + dt.timedelta(days=1), ordered_by="officer")
    op = api(users["operator"])
    assert op.post(f"/api/care/orders/{order.pk}/check-in/", {"place": "家中"}, format="json").status_code == 409
    assert op.post(f"/api/care/orders/{order.pk}/dispatch/", {"worker": ""}, format="json").status_code == 400
    assert op.post(f"/api/care/orders/{order.pk}/dispatch/", {"worker": "张阿姨"}, format="json").status_code == 200
    assert op.post(f"/api/care/orders/{order.pk}/check-in/", {"place": "家中"}, format="json").json()["status"] == \
        "in_service"
    c = api(users["county_officer"])
    body = {"minutes": 60, "key": "api-withdraw-1"}
    a = c.post(f"/api/care/timebank-accounts/{funded.pk}/withdraw/", body, format="json").json()
    b = c.post(f"/api/care/timebank-accounts/{funded.pk}/withdraw/", body, format="json").json()
    assert a["id"] == b["id"] and a["balance_after"] == 540
    r = c.post(f"/api/care/timebank-accounts/{funded.pk}/withdraw/", {"minutes": 600, "key": "api-withdraw-2"},
               format="json")
    assert r.status_code == 400 and "余额不足" in r.json()["minutes"][0]
    assert api(users["operator"]).get(f"/api/care/timebank-accounts/{funded.pk}/").status_code in (403, 404)


def test_pages(funded, parent, item, users, tree):
    from django.test import Client
    from django.urls import reverse

    services.place_order(users["county_officer"], parent, item,
                         wanted_on=timezone.localdate() + dt.timedelta(days=1), ordered_by="officer")
    c = Client()
    c.force_login(users["county_officer"])
    body = c.get(reverse("care:home")).content.decode()
    assert "居室保洁" in body and "年度对账单" in body
    st = c.get(reverse("care:statement", args=[funded.pk]))
    assert st.status_code == 200 and "600" in st.content.decode()
    from ylyx import testing

    wuyuan = Client()
    wuyuan.force_login(testing.make_user("county_officer", tree["wuyuan"]))
    assert wuyuan.get(reverse("care:statement", args=[funded.pk])).status_code == 404
    assert "居室保洁" not in wuyuan.get(reverse("care:home")).content.decode()
    inspector = Client()
    inspector.force_login(users["inspector"])
    assert inspector.get(reverse("care:home")).status_code == 403
