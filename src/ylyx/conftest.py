import pytest

from ylyx import testing


@pytest.fixture
def tree(db):
    return testing.region_tree()


@pytest.fixture
def users(tree):
    """One user per role; county officers in 临河区, a town officer in its town, an operator of a 临河 institution."""
    inst = testing.make_institution(tree["linhe_town"])
    return {
        "civil_affairs": testing.make_user("civil_affairs", tree["city"]),
        "health": testing.make_user("health", tree["city"]),
        "county_officer": testing.make_user("county_officer", tree["linhe"]),
        "town_officer": testing.make_user("town_officer", tree["linhe_town"]),
        "inspector": testing.make_user("inspector", tree["city"]),
        "operator": testing.make_user("operator", None, institution=inst),
        "leader": testing.make_user("leader", tree["city"]),
        "auditor": testing.make_user("auditor", tree["city"]),
        "sysadmin": testing.make_user("sysadmin", tree["city"]),
        "_operator_institution": inst,
    }



@pytest.fixture
def private_tmp(settings, tmp_path):
    """A private area of the test's own (uploads, export files), so nothing is left in var/."""
    settings.PRIVATE_TMP_DIR = tmp_path / "private"
    return tmp_path / "private"
