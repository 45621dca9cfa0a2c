"""REST API: upload, read, commit; refusals by role and region; hostile files get 400, not 500."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.imports.models import ImportBatch, Status
from ylyx.people.models import ElderlyPerson

from .fixtures.workbooks import ELDERLY_HEADERS, elderly_rows, write_xlsx, zip_bomb
from .helpers import FULL_ID, upload


def api_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def post(client, path, resource="elderly", **extra):
    with open(path, "rb") as fh:
        return client.post("/api/imports/", {"file": fh, "resource": resource, **extra}, format="multipart")


def test_upload_read_commit(users, tmp_path, private_tmp):
    c = api_for(users["county_officer"])
    resp = post(c, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(3)))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert (data["status"], data["rows_new"], data["can_commit"]) == ("validated", 3, True)
    assert len(data["sha256"]) == 64
    got = c.get(f"/api/imports/{data['id']}/")
    assert got.status_code == 200 and got.json()["id"] == data["id"]
    done = c.post(f"/api/imports/{data['id']}/commit/")
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["rows_new"]) == ("committed", 3)
    assert ElderlyPerson.objects.count() == 3
    assert not FULL_ID.search(resp.content.decode() + got.content.decode() + done.content.decode())
    assert not any(private_tmp.iterdir())
    listing = c.get("/api/imports/").json()
    assert [b["id"] for b in listing["results"]] == [data["id"]]


def test_report_in_json(users, tmp_path):
    rows = elderly_rows(2)
    rows[1][4] = "150821100200"
    resp = post(api_for(users["county_officer"]), write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert resp.status_code == 400
    data = resp.json()
    assert data["status"] == "rejected" and "未通过校验" in data["detail"]
    assert data["issues"] == [{"row": 3, "column": "行政区划代码", "message": "超出您的管辖范围", "level": "error"}]
    assert data["errors_url"] == f"/imports/batches/{data['id']}/errors.xlsx"


@pytest.mark.parametrize("role", ["inspector", "operator", "leader"])
def test_role_without_import_permission_gets_403(users, tmp_path, role, private_tmp):
    resp = post(api_for(users[role]), write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1)))
    assert resp.status_code == 403
    assert ImportBatch.objects.count() == 0
    assert not private_tmp.exists() or not any(private_tmp.iterdir())


def test_resource_not_allowed_for_role_gets_403(users, tmp_path):
    resp = post(api_for(users["civil_affairs"]), write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1)),
                resource="infant")
    assert resp.status_code == 403
    assert "无权导入婴幼儿" in resp.json()["detail"]


def test_other_county_gets_404(users, tree, tmp_path):
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    other = api_for(testing.make_user("county_officer", tree["wuyuan"]))
    assert other.get(f"/api/imports/{batch.pk}/").status_code == 404
    assert other.post(f"/api/imports/{batch.pk}/commit/").status_code == 404
    assert ElderlyPerson.objects.count() == 0


def test_zip_bomb_is_a_400_with_a_message(users, tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
    resp = post(api_for(users["county_officer"]), zip_bomb(tmp_path / "bomb.xlsx", 40 * 1024 * 1024))
    assert resp.status_code == 400
    assert "压缩炸弹" in resp.json()["detail"]


def test_missing_file_and_bad_resource(users, tmp_path):
    c = api_for(users["county_officer"])
    resp = c.post("/api/imports/", {"resource": "elderly"}, format="multipart")
    assert resp.status_code == 400 and "file" in resp.json()
    resp = post(c, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1)), resource="pets")
    assert resp.status_code == 400 and "resource" in resp.json()


def test_token_authentication_upload(users, tmp_path, private_tmp):
    token = Token.objects.create(user=users["county_officer"])
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    resp = post(c, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    assert resp.status_code == 201
    assert ImportBatch.objects.get().stored_name in {p.name for p in private_tmp.iterdir()}
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    resp = post(bad, write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    assert resp.status_code == 401
    assert len(list(private_tmp.iterdir())) == 1, "the refused upload's file is discarded"


def test_only_uploader_commits_via_api(users, tmp_path):
    batch = upload(users["town_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    resp = api_for(users["county_officer"]).post(f"/api/imports/{batch.pk}/commit/")
    assert resp.status_code == 403
    batch.refresh_from_db()
    assert batch.status == Status.VALIDATED
