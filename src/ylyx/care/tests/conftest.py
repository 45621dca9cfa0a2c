from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.care import services
from ylyx.care.models import ServiceItem


@pytest.fixture
def volunteer(tree, users):
    return services.register_volunteer(users["county_officer"], region=tree["linhe_village"], name="李志愿",
                                       id_number=testing.fake_id_number(dt.date(1985, 3, 3), "M", "150802"),
                                       registered_on=dt.date(2025, 1, 1))


@pytest.fixture
def parent(tree):
    return testing.make_elderly(tree["linhe_village"], name="李父", sex="M")


@pytest.fixture
def funded(volunteer, parent, users):
    """The volunteer served 10 hours, confirmed: 600 minutes in the account."""
    h = services.record_hours(users["county_officer"], volunteer, served_on=dt.date(2025, 6, 1), minutes=600,
                              description="陪同就医", served_person=parent)
    services.confirm_hours(users["county_officer"], h, "服务对象本人")
    volunteer.account.refresh_from_db()
    return volunteer.account


@pytest.fixture
def item(tree, users):
    provider = users["_operator_institution"]
    return ServiceItem.objects.create(region=tree["linhe"], provider=provider, category="clean", name="居室保洁",
                                      price="50.00")
