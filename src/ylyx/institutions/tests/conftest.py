import datetime as dt

import pytest

from ylyx import testing
from ylyx.institutions import services
from ylyx.institutions.models import Institution

PI_RE = r"\d{17}[\dX]"


@pytest.fixture
def officer(users):
    return users["county_officer"]


@pytest.fixture
def elder(tree, officer):
    """An elder-care institution in 临河区 registered through the service (so it has capacity history)."""
    return services.create_institution(officer, {
        "name": "临河区第一养老院", "kind": "elder", "subtype": "public", "region": tree["linhe_town"],
        "uscc": testing.fake_uscc("150802"), "beds": 50, "nursing_beds": 20, "opened_on": dt.date(2020, 1, 1),
        "contact_phone": "13812345678",
    })


@pytest.fixture
def childcare(tree, users):
    return services.create_institution(users["health"], {
        "name": "临河区普惠托育中心", "kind": "childcare", "subtype": "cc_affordable", "region": tree["linhe_town"],
        "uscc": testing.fake_uscc("150802"), "opened_on": dt.date(2021, 3, 1),
    })


@pytest.fixture
def neighbour(tree):
    """An institution in the neighbouring county 五原县."""
    return testing.make_institution(tree["wuyuan_town"], name="五原县幸福养老院")


def reload(inst: Institution) -> Institution:
    return Institution.objects.get(pk=inst.pk)
