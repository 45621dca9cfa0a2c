"""Pages: upload, batch detail with progress, commit, error report, templates, list; refusals by role and region."""

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ylyx import testing
from ylyx.imports.models import ImportBatch, Status
from ylyx.people.models import ElderlyPerson

from .fixtures.workbooks import (
    BILLION_LAUGHS,
    ELDERLY_HEADERS,
    elderly_rows,
    minimal_package,
    write_xlsx,
    zip_bytes,
)
from .helpers import FULL_ID, upload


@pytest.fixture
def private_uploads(settings):
    """Install PrivateUploadMiddleware where it belongs: after sessions, before CSRF."""
    mw = list(settings.MIDDLEWARE)
    mw.insert(mw.index("django.middleware.csrf.CsrfViewMiddleware"), "ylyx.imports.middleware.PrivateUploadMiddleware")
    settings.MIDDLEWARE = mw


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post_file(client, path, resource="elderly", **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:index"), {"file": fh, "resource": resource, "mode": "all_or_nothing",
                                                      **extra})


def test_index_offers_the_users_resources(users):
    resp = client_for(users["town_officer"]).get(reverse("imports:index"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert reverse("imports:template", args=["elderly"]) in body
    assert reverse("imports:template", args=["infant"]) in body
    assert reverse("imports:template", args=["institution"]) not in body  # 乡镇: institutions read-only
    assert resp["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["operator", "inspector", "leader", "auditor", "sysadmin"])
def test_roles_without_import_get_403(users, role):
    c = client_for(users[role])
    assert c.get(reverse("imports:index")).status_code == 403
    assert c.get(reverse("imports:list")).status_code == 403
    assert c.get(reverse("imports:template", args=["elderly"])).status_code == 403


def test_anonymous_is_sent_to_login_and_nothing_is_stored(db, tmp_path, private_tmp, private_uploads):
    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2))
    resp = post_file(Client(), path)
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    assert not private_tmp.exists() or not any(private_tmp.iterdir())
    assert ImportBatch.objects.count() == 0


def test_upload_validate_commit_through_the_pages(users, tmp_path, private_tmp):
    c = client_for(users["county_officer"])
    path = write_xlsx(tmp_path / "老年人名单.xlsx", ELDERLY_HEADERS, elderly_rows(4))
    resp = post_file(c, path)
    assert resp.status_code == 302
    batch = ImportBatch.objects.get()
    assert resp["Location"] == reverse("imports:batch", args=[batch.pk])
    assert batch.file_name == "老年人名单.xlsx" and batch.status == Status.VALIDATED

    page = c.get(resp["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "提交导入" in body and "预计新增" in body
    assert not FULL_ID.search(body)
    assert page["Cache-Control"] == "no-store"

    resp = c.post(reverse("imports:commit", args=[batch.pk]))
    assert resp.status_code == 302
    assert ElderlyPerson.objects.count() == 4
    body = c.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "已导入" in body and "提交导入</button>" not in body
    assert not FULL_ID.search(body)
    assert not any(private_tmp.iterdir())


def test_uploads_are_streamed_into_the_private_area(users, tmp_path, private_tmp, monkeypatch, private_uploads):
    from ylyx.imports import services

    seen = {}
    original = services.validate

    def spy(batch_id):
        batch = ImportBatch.objects.get(pk=batch_id)
        seen["exists"] = (private_tmp / batch.stored_name).exists()
        seen["mode"] = oct((private_tmp / batch.stored_name).stat().st_mode & 0o777)
        return original(batch_id)

    def no_copy(*a, **kw):
        raise AssertionError("the web upload must not be copied: the handler already wrote it privately")

    monkeypatch.setattr(services, "validate", spy)
    monkeypatch.setattr(services.safety, "store_stream", no_copy)
    resp = post_file(client_for(users["county_officer"]), write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS,
                                                                     elderly_rows(2)))
    assert resp.status_code == 302
    assert seen == {"exists": True, "mode": "0o600"}


def test_bad_rows_page_and_error_report(users, tmp_path):
    rows = elderly_rows(3)
    rows[1][4] = "150802999999"
    c = client_for(users["county_officer"])
    headers = ELDERLY_HEADERS + ['+HYPERLINK("http://evil.example","点我")']
    rows = [r + ["x"] for r in rows]
    post_file(c, write_xlsx(tmp_path / "a.xlsx", headers, rows))
    batch = ImportBatch.objects.get()
    assert batch.status == Status.REJECTED
    body = c.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "行政区划代码不存在" in body and "提交导入</button>" not in body
    resp = c.get(reverse("imports:errors", args=[batch.pk]))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb["错误报告"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["行号", "列", "问题", "级别"]
    assert [3, "行政区划代码", "行政区划代码不存在", "错误"] in values
    warning = next(v for v in values if v[3] == "提示")
    assert warning[1].startswith("'+HYPERLINK"), "formulas from the upload are neutralised (DJ-12)"


def test_rejected_file_shows_its_message(users, tmp_path):
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(zip_bytes(minimal_package(shared_strings=BILLION_LAUGHS)))
    c = client_for(users["county_officer"])
    resp = post_file(c, path)
    batch = ImportBatch.objects.get()
    body = c.get(resp["Location"]).content.decode()
    assert "不安全的 XML" in body and batch.status == Status.REJECTED


def test_form_errors_discard_the_stored_file(users, tmp_path, private_tmp, private_uploads):
    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2))
    resp = post_file(client_for(users["town_officer"]), path, resource="institution")
    assert resp.status_code == 400
    assert "您的角色无权导入该内容" in resp.content.decode()
    assert ImportBatch.objects.count() == 0
    assert not any(private_tmp.iterdir())


def test_csrf_failure_discards_the_stored_file(users, tmp_path, private_tmp, private_uploads):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["county_officer"])
    c.cookies["csrftoken"] = "a" * 32  # a cookie but no matching form token: the body is parsed, then refused
    resp = post_file(c, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    assert resp.status_code == 403
    assert ImportBatch.objects.count() == 0
    assert private_tmp.exists(), "the body was parsed into the private area"
    assert not any(private_tmp.iterdir())


def test_other_county_gets_404(users, tree, tmp_path):
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    other = client_for(testing.make_user("county_officer", tree["wuyuan"]))
    assert other.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert other.get(reverse("imports:errors", args=[batch.pk])).status_code == 404
    assert other.get(reverse("imports:progress", args=[batch.pk])).status_code == 404
    assert other.post(reverse("imports:commit", args=[batch.pk])).status_code == 404
    assert "a.xlsx" not in other.get(reverse("imports:list")).content.decode()
    assert ElderlyPerson.objects.count() == 0


def test_list_is_scoped_by_uploader_region(users, tmp_path):
    upload(users["town_officer"], write_xlsx(tmp_path / "town.xlsx", ELDERLY_HEADERS, elderly_rows(1)))
    upload(users["county_officer"], write_xlsx(tmp_path / "county.xlsx", ELDERLY_HEADERS, elderly_rows(1, start=3)))
    county = client_for(users["county_officer"]).get(reverse("imports:list")).content.decode()
    town = client_for(users["town_officer"]).get(reverse("imports:list")).content.decode()
    assert "town.xlsx" in county and "county.xlsx" in county
    assert "town.xlsx" in town and "county.xlsx" not in town


def test_progress_fragment_polls_while_running_and_refreshes_when_done(users, tmp_path):
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)),
                   run=False)
    ImportBatch.objects.filter(pk=batch.pk).update(progress_done=1000, progress_total=4000)
    c = client_for(users["county_officer"])
    body = c.get(reverse("imports:progress", args=[batch.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in body and "1000 / 约 4000" in body and 'value="25"' in body
    page = c.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    from ylyx.imports import services

    services.validate(batch.pk)
    resp = c.get(reverse("imports:progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert resp["HX-Refresh"] == "true"
    assert "every 1s" not in resp.content.decode()


def test_template_download(users):
    c = client_for(users["county_officer"])
    resp = c.get(reverse("imports:template", args=["infant"]))
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["数据", "说明"]
    assert client_for(users["town_officer"]).get(reverse("imports:template", args=["institution"])).status_code == 403
    assert c.get("/imports/templates/nothing.xlsx").status_code == 404


def test_commit_refused_for_rejected_batch(users, tmp_path):
    rows = elderly_rows(2)
    rows[0][4] = "999999"
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    c = client_for(users["county_officer"])
    resp = c.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    assert "不能提交" in resp.content.decode() or "已删除" in resp.content.decode()
    assert ElderlyPerson.objects.count() == 0
    assert re.search(r"\d{17}[\dX]", resp.content.decode()) is None


def test_id_number_in_a_file_name_is_masked(users, tmp_path):
    path = write_xlsx(tmp_path / "张三110105194912310021.xlsx", ELDERLY_HEADERS, elderly_rows(1))
    c = client_for(users["county_officer"])
    resp = post_file(c, path)
    batch = ImportBatch.objects.get()
    assert batch.file_name == "张三110***********0021.xlsx"
    assert not FULL_ID.search(c.get(resp["Location"]).content.decode())


def test_without_the_middleware_uploads_are_copied_into_the_private_area(users, tmp_path, private_tmp, monkeypatch,
                                                                         settings):
    from ylyx.imports import services

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("PrivateUploadMiddleware")]

    copies = []
    original = services.safety.store_stream

    def spy(src, *a, **kw):
        stored = original(src, *a, **kw)
        copies.append(stored)
        return stored

    monkeypatch.setattr(services.safety, "store_stream", spy)
    resp = post_file(client_for(users["county_officer"]), write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS,
                                                                     elderly_rows(2)))
    assert resp.status_code == 302
    batch = ImportBatch.objects.get()
    assert [c.name for c in copies] == [batch.stored_name]
    assert (private_tmp / batch.stored_name).exists()


def test_middleware_streams_api_uploads_too(users, tmp_path, private_tmp, monkeypatch, private_uploads):
    from rest_framework.authtoken.models import Token

    from ylyx.imports import services

    monkeypatch.setattr(services.safety, "store_stream", lambda *a, **k: pytest.fail("copied"))
    token = Token.objects.create(user=users["county_officer"])
    with open(write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)), "rb") as fh:
        resp = Client().post("/api/imports/", {"file": fh, "resource": "elderly"},
                             HTTP_AUTHORIZATION=f"Token {token.key}")
    assert resp.status_code == 201
    assert ImportBatch.objects.get().stored_name in {p.name for p in private_tmp.iterdir()}
