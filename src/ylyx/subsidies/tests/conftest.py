"""Subsidy fixtures: the shipped programmes installed for 巴彦淖尔 (the test tree's city), filed institutions."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.institutions.models import Filing
from ylyx.people.models import Residence
from ylyx.subsidies import services
from ylyx.subsidies.models import Programme

PERIOD = "2026-10"


def filed(inst, on=dt.date(2020, 1, 1)):
    Filing.objects.create(institution=inst, status="filed", submitted_on=on, filed_on=on)
    return inst


def admit(inst, people, start=dt.date(2026, 1, 1), bed_type="ordinary"):
    Residence.objects.bulk_create([Residence(person=p, institution=inst, region_id=inst.region_id,
                                             started_on=start, bed_type=bed_type) for p in people])


@pytest.fixture
def programmes(tree):
    services.load_programmes(tree["city"])
    return {p.code: p for p in Programme.objects.unscoped("test")}


@pytest.fixture
def home(tree):
    """A filed 民办 elderly-care institution of 临河区 with 100 beds."""
    return filed(testing.make_institution(tree["linhe_town"], subtype="private", beds=100, nursing_beds=40))


@pytest.fixture
def nursery(tree):
    return filed(testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_affordable", beds=0,
                                          nursing_beds=0, places=80, affordable_places=80))
