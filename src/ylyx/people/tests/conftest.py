import pytest

from ylyx import testing
from ylyx.institutions.models import ChildcareClass

from .helpers import months_ago


@pytest.fixture
def linhe_person(tree):
    return testing.make_elderly(tree["linhe_village"], name="王秀英")


@pytest.fixture
def wuyuan_person(tree):
    return testing.make_elderly(tree["wuyuan_village"], name="赵桂兰")


@pytest.fixture
def elder_home(tree):
    """A 临河 home with 2 beds, 1 of them nursing."""
    return testing.make_institution(tree["linhe_town"], beds=2, nursing_beds=1)


@pytest.fixture
def nursery(tree):
    return testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_affordable")


@pytest.fixture
def junior_class(nursery):
    """托小班 (12–24 months), 3 places, 1 caregiver (ratio 1:5)."""
    return ChildcareClass.objects.create(institution=nursery, name="托小一班", class_type="junior", places=3,
                                         caregivers=1)


@pytest.fixture
def toddler(tree):
    return testing.make_infant(tree["linhe_village"], birth=months_ago(18), name="李小明")
