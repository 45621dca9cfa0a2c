"""赤峰 amounts (赤政办发〔2022〕56号), through the shipped programme data and the services — no amount in code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ylyx import testing
from ylyx.subsidies import services
from ylyx.subsidies.models import ApplicationStatus, BatchLine, LedgerEntry

from .conftest import PERIOD, admit, filed

pytestmark = pytest.mark.django_db


def through_approval(users, app):
    services.review(users["county_officer"], app, approve=True, comment="材料齐全")
    return services.decide(users["civil_affairs"], app, approve=True)


@pytest.mark.parametrize(("kind", "lease", "amount"), [("new", None, 300_000), ("renovated", None, 200_000),
                                                       ("leased", 5, 100_000)])
def test_elder_construction(users, programmes, home, kind, lease, amount):
    app = services.apply(users["county_officer"], home, programme=programmes["elder_construction"], build_kind=kind,
                         units=100, lease_years=lease, evidence="备案回执、竣工验收报告")
    assert app.amount == Decimal(amount)
    app = through_approval(users, app)
    assert app.status == ApplicationStatus.PAID
    entry = LedgerEntry.objects.unscoped("test").get(application=app)
    assert entry.amount == Decimal(amount) and entry.period == f"A{app.pk}"


def test_lease_shorter_than_five_years_is_not_eligible(users, programmes, home):
    with pytest.raises(ValidationError, match="不符合"):
        services.apply(users["county_officer"], home, programme=programmes["elder_construction"],
                       build_kind="leased", units=100, lease_years=4, evidence="租赁合同")


@pytest.mark.parametrize(("kind", "urban", "units", "amount"), [("new", True, 50, 125_000), ("renovated", False, 50, 25_000),
                                                               ("new", False, 50, 75_000), ("renovated", True, 50, 75_000)])
def test_childcare_construction(users, programmes, nursery, kind, urban, units, amount):
    app = services.apply(users["county_officer"], nursery, programme=programmes["childcare_construction"],
                         build_kind=kind, urban=urban, units=units, evidence="备案回执")
    app = through_approval(users, app)
    assert LedgerEntry.objects.unscoped("test").get(application=app).amount == Decimal(amount)


def test_eighty_residents_for_a_month_is_8000(tree, users, programmes, home):
    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1950, 1, 1) + dt.timedelta(days=i))
              for i in range(80)]
    admit(home, people)
    batch = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    line = BatchLine.objects.unscoped("test").get(batch=batch, institution=home)
    assert line.amount == Decimal(8000) and line.units == 80
    assert line.programme.code == "elder_operation"
    services.approve_batch(users["civil_affairs"], batch)
    assert LedgerEntry.objects.unscoped("test").get(institution=home, period=PERIOD).amount == Decimal(8000)


def test_operation_subsidy_needs_filing_and_social_operation(tree, users, programmes):
    public = filed(testing.make_institution(tree["linhe_town"], subtype="public", beds=50, nursing_beds=10))
    unfiled = testing.make_institution(tree["linhe_town"], subtype="private", beds=50, nursing_beds=10)
    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1952, 3, 1) + dt.timedelta(days=i))
              for i in range(4)]
    admit(public, people[:2])
    admit(unfiled, people[2:])
    batch = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    assert not BatchLine.objects.unscoped("test").filter(batch=batch, institution__in=[public, unfiled]).exists()


def test_programme_amount_is_data_the_city_edits(tree, users, programmes, home):
    p = programmes["elder_operation"]
    services.save_programme(users["civil_affairs"], p, {"amount": {**p.amount, "rate": 120}})
    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1951, 1, 1) + dt.timedelta(days=i))
              for i in range(10)]
    admit(home, people)
    batch = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    assert BatchLine.objects.unscoped("test").get(batch=batch, institution=home).amount == Decimal(1200)


def test_county_officer_cannot_edit_programmes_or_approve(users, programmes, home):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.save_programme(users["county_officer"], programmes["elder_operation"], {"name": "改名"})
    app = services.apply(users["county_officer"], home, programme=programmes["elder_construction"],
                         build_kind="new", units=10, evidence="回执")
    services.review(users["county_officer"], app, approve=True)
    with pytest.raises(PermissionDenied):
        services.decide(users["county_officer"], app, approve=True)
