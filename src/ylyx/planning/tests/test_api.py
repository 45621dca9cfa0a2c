import pytest

from ylyx import testing


@pytest.fixture
def api(client):
    def get(user, path, **params):
        client.logout()
        testing.force_login(client, user)
        return client.get(path, params)
    return get


def test_projects_are_scoped(api, users, tree, project):
    from ylyx.planning.models import Project

    Project.objects.create(name="五原项目", region=tree["wuyuan"], beds=10)
    r = api(users["civil_affairs"], "/api/planning/projects/")
    assert r.status_code == 200 and r.json()["count"] == 2
    r = api(users["county_officer"], "/api/planning/projects/")
    assert [p["name"] for p in r.json()["results"]] == ["临河区颐养中心"]
    r = api(users["county_officer"], "/api/planning/projects/", stage="started")
    assert r.json()["count"] == 1
    assert api(users["county_officer"], "/api/planning/projects/", stage="nonsense").status_code == 400


@pytest.mark.parametrize("role", ["operator", "auditor", "sysadmin"])
def test_roles_without_projects_are_refused(api, users, role):
    assert api(users[role], "/api/planning/projects/").status_code == 403


def test_residential_areas(api, users, tree):
    from ylyx.planning.models import ResidentialArea

    ResidentialArea.objects.create(name="河畔新城", region=tree["linhe_town"], households=1000, elder_room_area=120)
    r = api(users["town_officer"], "/api/planning/residential-areas/")
    assert r.status_code == 200 and r.json()["results"][0]["region"] == tree["linhe_town"].code
