import pytest
from django.urls import reverse

from ylyx import testing
from ylyx.planning import circles
from ylyx.planning.models import Project


def test_circles_on_the_synthetic_network(users, tree):
    tree["linhe"].centroid_lat, tree["linhe"].centroid_lon = 40.75, 107.39
    tree["linhe"].save()
    inst = testing.make_institution(tree["linhe_town"], lat=40.751, lon=107.392, beds=80)
    data = circles.compute(users["county_officer"], tree["linhe"], circles.Params(p=3))
    assert data["synthetic_network"] and data["radius_m"] == 1125
    assert [f["name"] for f in data["facilities"]] == [inst.name] and len(data["facilities"][0]["circle"]) >= 3
    assert len(data["sites"]) == 3 and data["coverage_after"] >= data["coverage_before"]
    assert data["siting"]["status"] == "Optimal"
    assert 0 < sum(d["covered"] for d in data["demand"]) < len(data["demand"])


def test_bad_parameters_are_named():
    params, errors = circles.parse_params({"minutes": "abc", "p": "99", "speed_kmh": "5"})
    assert params.minutes == 15 and params.p == 5 and params.speed_kmh == 5
    assert any("步行时间" in e for e in errors) and any("选址数量" in e for e in errors)


def test_map_page_and_saving_sites(client, users, tree):
    testing.force_login(client, users["county_officer"])
    r = client.get(reverse("planning:map"), {"p": "2"})
    assert r.status_code == 200 and "15分钟服务圈" in r.content.decode() and len(r.context["data"]["sites"]) == 2
    r = client.post(reverse("planning:map"), {"p": "2", "kind": "elder", "region": tree["linhe"].code})
    assert r.status_code == 200
    made = Project.objects.unscoped("test check").filter(proposed_by_siting=True)
    assert made.count() == 2 and {p.stage for p in made} == {"reserve"} and made[0].region == tree["linhe"]


@pytest.mark.parametrize("role", ["leader", "town_officer"])
def test_read_only_roles_see_the_map_but_cannot_save(client, users, role):
    testing.force_login(client, users[role])
    assert client.get(reverse("planning:map"), {"p": "1"}).status_code == 200
    assert client.post(reverse("planning:map"), {"p": "1"}).status_code == 403


def test_operator_refused(client, users):
    testing.force_login(client, users["operator"])
    assert client.get(reverse("planning:map")).status_code == 403


def test_imported_osm_network_replaces_the_grid(users, tree, settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("import_network", pbf="test", region=tree["linhe"].code, stdout=out)
    assert "节点" in out.getvalue() and (tmp_path / "networks" / f"{tree['linhe'].code}.npz").exists()
    data = circles.compute(users["county_officer"], tree["linhe_town"], circles.Params(p=2))  # a town uses its county's
    assert data["synthetic_network"] is False and data["network"]["nodes"] > 500
    assert data["synthetic_facilities"] and len(data["sites"]) == 2


def test_import_network_errors_are_named(tree, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_network", pbf=str(tmp_path / "missing.pbf"), region="150802")
    with pytest.raises(CommandError, match="区划不存在"):
        call_command("import_network", pbf="test", region="159999")
