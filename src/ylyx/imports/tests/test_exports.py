"""Export jobs (security.md PI-6, SEC-RI-2): direct small exports, requests with reasons, a second person's
approval, generation as the requester (scope, filter, masking, watermark), progress, download rules, expiry
and the audit trail."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="attr-defined,operator,arg-type"

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.imports import export_jobs
from ylyx.imports.models import ExportJob, ExportStatus
from ylyx.people.identity import years_before

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dX](?![\dA-Za-z])")
ELDERLY = "people:elderly_list"
INFANTS = "people:infant_list"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def sheet_rows(content: bytes, sheet: str = "数据") -> list[list]:
    wb = load_workbook(io.BytesIO(content))
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return "\n".join(cells)


def aged(tree, years: int, region=None, **kw):
    birth = years_before(dt.date.today(), years) - dt.timedelta(days=40)
    return testing.make_elderly(region or tree["linhe_village"], birth=birth, **kw)


def request(user, list_name=ELDERLY, query="", reason="核对高龄津贴名单") -> ExportJob:
    return export_jobs.request_export(user, list_name, query, reason)


def job_file(job: ExportJob):
    job.refresh_from_db()
    return export_jobs.stored_path(job)


@pytest.fixture
def officer(users):
    return users["county_officer"]


@pytest.fixture
def people(tree):
    """Four elderly people in 临河 (two aged 80+) and one aged 85 in 五原."""
    return {"old1": aged(tree, 85, name="赵桂兰"), "old2": aged(tree, 90, name="钱秀英"),
            "young1": aged(tree, 65, name="孙淑珍"), "young2": aged(tree, 70, name="李玉兰"),
            "other": aged(tree, 85, region=tree["wuyuan_village"], name="周凤英")}


@pytest.fixture
def approval_needed(settings):
    settings.EXPORT_APPROVAL_THRESHOLD = 1


# --- what goes direct, what becomes a job ---------------------------------------------------------------

def test_small_list_without_personal_data_still_downloads_directly_masked_and_audited(tree, users, officer):
    testing.make_institution(tree["wuyuan_town"], name="五原县养老院")
    resp = client_for(officer).get(reverse("institutions:list") + "?export=xlsx")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(resp.content)
    assert rows[0][0].startswith(f"导出人：{officer}") and "内部资料" in rows[0][0]
    assert rows[1][0] == "机构名称"
    assert [r[0] for r in rows[2:]] == [users["_operator_institution"].name]  # in scope only
    assert not FULL_ID.search(xlsx_text(resp.content))
    assert not ExportJob.objects.exists()
    ev = AuditEvent.objects.get(event_type="export", actor_id=officer.pk)
    assert ev.detail["rows"] == 1 and ev.detail["model"] == "institutions.institution"


def test_list_without_personal_data_above_the_direct_limit_becomes_a_job_without_approval(
        settings, tree, users, officer):
    settings.EXPORT_DIRECT_MAX_ROWS = 1
    testing.make_institution(tree["linhe_town"])
    job, status, content = testing.export_through_pages(officer, "institutions:list", reason="")
    assert job is not None and not job.needs_approval and job.status == ExportStatus.DONE
    assert status == 200 and len(sheet_rows(content)[2:]) == 2


def test_personal_data_always_goes_to_the_request_form_with_the_filter(officer, people):
    c = client_for(officer)
    resp = c.get(reverse(ELDERLY) + "?age_band=80%2B&page=2&export=xlsx")
    assert resp.status_code == 302 and resp.url.startswith(reverse("imports:export_new"))
    form = c.get(resp.url)
    assert form.status_code == 200
    html = form.content.decode()
    assert "年龄段：80 岁及以上" in html and "2 行" in html and "导出理由" in html
    assert form.context["form"]["filter"].value() == "age_band=80%2B"  # page and export dropped
    assert not ExportJob.objects.exists()  # nothing is recorded until the form is sent


def test_personal_data_export_requires_a_reason(officer, people):
    c = client_for(officer)
    resp = c.post(reverse("imports:export_new"), {"list": ELDERLY, "filter": "", "reason": "  "})
    assert resp.status_code == 400
    assert "导出理由：导出个人信息须写明用途" in resp.content.decode()
    assert not ExportJob.objects.exists()
    with pytest.raises(Exception, match="导出理由"):
        request(officer, reason="看")


def test_reason_never_keeps_a_full_id_number(officer, people):
    job = request(officer, reason=f"核对 {people['old1'].id_number} 等人的津贴")
    assert people["old1"].id_number not in job.reason and people["old1"].id_number[-4:] in job.reason
    ev = AuditEvent.objects.get(event_type="export_request")
    assert people["old1"].id_number not in ev.reason


def test_small_personal_data_job_needs_no_approval(private_tmp, officer, people):
    job = request(officer)
    assert not job.needs_approval and job.status == ExportStatus.DONE and job.approver is None
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    assert "审批人：无需审批" in sheet_rows(b"".join(resp.streaming_content))[0][0]
    job.refresh_from_db()
    assert job.downloads == 1


@pytest.mark.parametrize("threshold, needs", [(4, False), (3, True)])
def test_approval_above_the_threshold(settings, private_tmp, officer, people, threshold, needs):
    settings.EXPORT_APPROVAL_THRESHOLD = threshold  # the officer's list has 4 rows
    job = request(officer)
    assert job.rows_requested == 4
    assert job.needs_approval is needs
    assert job.status == (ExportStatus.PENDING if needs else ExportStatus.DONE)


def test_every_export_of_minors_needs_approval(private_tmp, tree, officer):
    testing.make_infant(tree["linhe_village"])
    job = request(officer, INFANTS)
    assert job.rows_requested == 1 and job.needs_approval and job.status == ExportStatus.PENDING
    assert not job_file(job)


def test_a_second_press_reuses_the_open_request(approval_needed, officer, people):
    first = request(officer)
    assert request(officer).pk == first.pk
    assert request(officer, query="age_band=80%2B").pk != first.pk


def test_zero_rows_is_refused(officer, people):
    with pytest.raises(Exception, match="没有符合筛选条件的记录"):
        request(officer, query="q=不存在的名字")


def test_an_overlong_filter_is_refused_with_a_message(officer, people):
    resp = client_for(officer).get(reverse("imports:export_new"), {"list": ELDERLY, "filter": "q=" + "x" * 2100})
    assert resp.status_code == 400 and "筛选条件：过长" in resp.content.decode()


def test_navigation_offers_my_exports_and_approvals_by_role(users):
    def nav(role):
        return {i["label"] for i in client_for(users[role]).get(reverse("workspace:home")).context["nav_items"]}

    assert {"我的导出", "导出审批"} <= nav("county_officer") and {"我的导出", "导出审批"} <= nav("health")
    assert "我的导出" in nav("town_officer") and "导出审批" not in nav("town_officer")
    assert "我的导出" in nav("auditor") and "导出审批" not in nav("leader")
    assert not {"我的导出", "导出审批"} & nav("sysadmin")


def test_roles_without_export_cannot_request(users, people):
    for role in ("inspector", "auditor", "leader", "health"):
        resp = client_for(users[role]).get(reverse("imports:export_new") + f"?list={ELDERLY}")
        assert resp.status_code == 403, role
    assert client_for(users["county_officer"]).get(
        reverse("imports:export_new") + "?list=imports:export_list").status_code == 404  # not a list page


# --- approval -----------------------------------------------------------------------------------------------

def test_download_before_approval_is_403_and_audited(approval_needed, private_tmp, officer, people):
    job = request(officer)
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 403
    assert "尚未经审批" in resp.content.decode()
    assert AuditEvent.objects.filter(event_type="download", outcome="denied", actor_id=officer.pk).exists()


def test_requester_cannot_approve_own_export(approval_needed, officer, people):
    job = request(officer)  # a county officer holds the approve right, but not over their own request
    c = client_for(officer)
    resp = c.post(reverse("imports:export_approve", args=[job.pk]), {"comment": "同意"})
    assert resp.status_code == 403 and "不能审批自己申请的导出" in resp.content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING and job.approver is None
    assert AuditEvent.objects.filter(event_type="export_approve", outcome="denied", actor_id=officer.pk).exists()
    assert job not in export_jobs.pending_for(officer)
    with pytest.raises(Exception, match="不能审批自己申请的导出"):
        export_jobs.decide(job.pk, officer, True)


def test_approver_outside_the_region_sees_404(approval_needed, tree, officer, people):
    job = request(officer)
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    c = client_for(wuyuan)
    for url in (reverse("imports:export_job", args=[job.pk]), reverse("imports:export_progress", args=[job.pk]),
                reverse("imports:export_download", args=[job.pk])):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("imports:export_approve", args=[job.pk])).status_code == 404
    assert c.post(reverse("imports:export_reject", args=[job.pk]), {"comment": "不行"}).status_code == 404
    assert list(export_jobs.pending_for(wuyuan)) == []
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING


def test_lower_level_or_other_department_cannot_approve(approval_needed, tree, users, people):
    town = users["town_officer"]
    job = request(town)
    assert job.region_id == tree["linhe_town"].code
    # a town officer has no approve right; 卫健 may not export elderly people, so the job is not theirs
    for user in (testing.make_user("town_officer", tree["linhe_town"]), users["health"], users["leader"]):
        assert list(export_jobs.pending_for(user)) == []
        assert client_for(user).post(reverse("imports:export_approve", args=[job.pk])).status_code in (403, 404)
    # the town's county officer and the city's 民政 may
    assert job in export_jobs.pending_for(users["county_officer"])
    assert job in export_jobs.pending_for(users["civil_affairs"])
    county_job = request(users["county_officer"])
    assert county_job not in export_jobs.pending_for(town)  # never a lower scope
    assert county_job in export_jobs.pending_for(users["civil_affairs"])


def test_approval_page_and_queue(approval_needed, private_tmp, users, officer, people):
    job = request(officer, query="age_band=80%2B")
    boss = users["civil_affairs"]
    c = client_for(boss)
    queue = c.get(reverse("imports:export_approvals"))
    assert queue.status_code == 200 and f"#{job.pk}" in queue.content.decode()
    assert "核对高龄津贴名单" in queue.content.decode()
    page = c.get(reverse("imports:export_job", args=[job.pk])).content.decode()
    assert "年龄段：80 岁及以上" in page and "批准" in page and "驳回" in page
    assert client_for(officer).get(reverse("imports:export_approvals")).status_code == 200
    assert client_for(users["town_officer"]).get(reverse("imports:export_approvals")).status_code == 403
    resp = c.post(reverse("imports:export_approve", args=[job.pk]), {"comment": "用于年度核查"})
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.approver == boss and job.decision_comment == "用于年度核查"
    assert c.get(reverse("imports:export_download", args=[job.pk])).status_code == 403  # only the requester
    assert "已生成 2 行" in c.get(reverse("imports:export_job", args=[job.pk])).content.decode()


def test_reject_needs_a_reason_and_blocks_the_download(approval_needed, users, officer, people):
    job = request(officer)
    c = client_for(users["civil_affairs"])
    c.post(reverse("imports:export_reject", args=[job.pk]), {"comment": ""})
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING
    c.post(reverse("imports:export_reject", args=[job.pk]), {"comment": "范围过大，请按乡镇分别导出"})
    job.refresh_from_db()
    assert job.status == ExportStatus.REJECTED and job.approver == users["civil_affairs"]
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 403 and "已被驳回" in resp.content.decode()
    ev = AuditEvent.objects.get(event_type="export_reject")
    assert ev.reason == "范围过大，请按乡镇分别导出" and ev.actor_id == users["civil_affairs"].pk
    with pytest.raises(Exception, match="不能再审批"):  # decided once
        export_jobs.decide(job.pk, users["civil_affairs"], True)


# --- generation ------------------------------------------------------------------------------------------

def test_approved_job_writes_the_scoped_filtered_list_masked_with_a_watermark(
        approval_needed, private_tmp, users, officer, people):
    query = "age_band=80%2B&sort=-age"
    boss = users["civil_affairs"]
    job, status, content = testing.export_through_pages(officer, ELDERLY, query, approver=boss)
    assert job.status == ExportStatus.DONE and status == 200
    rows = sheet_rows(content)
    page = client_for(officer).get(reverse(ELDERLY) + "?" + query)
    expected = [[None if v == "" else v for v in values] for _, values in page.context["rows"]]
    assert rows[1] == [c.header for c in page.context["columns"]]
    assert rows[2:] == expected  # the page's rows, order and masking: 2 people aged 80+ in 临河
    assert len(expected) == 2 and {r[0] for r in rows[2:]} == {"赵**", "钱**"}
    text = xlsx_text(content)
    assert not FULL_ID.search(text)
    assert people["old1"].id_number_masked in text and people["other"].id_number_masked not in text
    mark = rows[0][0]
    assert f"导出人：{officer}" in mark and f"审批人：{boss}" in mark and f"导出任务 #{job.pk}" in mark
    wb = load_workbook(io.BytesIO(content))
    assert f"导出任务 #{job.pk}" in wb["数据"].oddHeader.center.text  # printed on every page
    assert wb.properties.description == mark
    about = dict((r[0], r[1]) for r in wb["说明"].iter_rows(values_only=True))
    assert about["导出理由"] == "核对名单数据" and about["审批人"] == str(boss)
    assert about["筛选条件"].startswith("年龄段：80 岁及以上")
    assert job.sha256 == __import__("hashlib").sha256(content).hexdigest() and job.file_size == len(content)
    assert job.expires_at == job.finished_at + dt.timedelta(hours=24)


def test_rows_are_evaluated_when_the_file_is_made_not_when_requested(
        approval_needed, private_tmp, tree, users, officer, people):
    job = request(officer, query="age_band=80%2B")
    assert job.rows_requested == 2
    aged(tree, 95, name="吴桂芳")  # in scope and matching, added while the request waits
    aged(tree, 95, region=tree["wuyuan_village"], name="郑桂芳")  # matching, but another county
    export_jobs.decide(job.pk, users["civil_affairs"], True)
    job.refresh_from_db()
    assert job.rows_total == 3
    names = {r[0] for r in sheet_rows(job_file(job).read_bytes())[2:]}
    assert names == {"赵**", "钱**", "吴**"}


def test_generation_refuses_when_the_requester_lost_the_right_or_moved(
        approval_needed, private_tmp, tree, users, officer, people):
    job = request(officer)
    officer.region = tree["wuyuan"]
    officer.save()
    export_jobs.decide(job.pk, users["civil_affairs"], True)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "管辖范围在申请后发生了变化" in job.message
    assert not list(export_jobs.exports_dir().iterdir())
    assert AuditEvent.objects.filter(event_type="export", outcome="denied", object_id=str(job.pk)).exists()

    town = users["town_officer"]
    job = request(town)
    town.role = "inspector"
    town.save()
    export_jobs.decide(job.pk, users["civil_affairs"], True)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.message == "无权执行此操作"


def test_job_grown_past_the_threshold_without_approval_is_not_made(settings, private_tmp, tree, officer, people):
    settings.EXPORT_APPROVAL_THRESHOLD = 4
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # hold it queued
    job = request(officer)
    assert job.status == ExportStatus.QUEUED
    aged(tree, 66)
    assert export_jobs.generate(job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert "超过审批阈值" in job.message and not list(export_jobs.exports_dir().iterdir())


def test_generation_is_idempotent(private_tmp, officer, people):
    job = request(officer)
    before = (job.sha256, job.stored_name)
    assert export_jobs.generate(job.pk) == ExportStatus.DONE  # already done: nothing happens
    job.refresh_from_db()
    assert (job.sha256, job.stored_name) == before
    assert AuditEvent.objects.filter(event_type="export", object_id=str(job.pk)).count() == 1


def test_progress_is_written_while_rows_are_written(monkeypatch, private_tmp, officer, people):
    seen: list[tuple[int, int]] = []
    real = export_jobs.update_row

    def spy(model, pk, **fields):
        if "rows_written" in fields and model is ExportJob:
            seen.append((fields["rows_written"], fields["rows_total"]))
            job = ExportJob.objects.get(pk=pk)
            assert job.status == ExportStatus.RUNNING
        return real(model, pk, **fields)

    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(export_jobs, "update_row", spy)
    job = request(officer)
    assert seen == [(2, 4), (4, 4)]
    assert (job.rows_written, job.rows_total, job.progress_percent) == (4, 4, 100)


def test_progress_fragment_polls_while_running_and_stops_when_done(private_tmp, officer, people):
    job = request(officer)
    c = client_for(officer)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, rows_written=3, rows_total=6)
    html = c.get(reverse("imports:export_progress", args=[job.pk])).content.decode()
    assert "hx-get" in html and "50%" in html and "已写入 3 / 6 行" in html
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.DONE, rows_written=4, rows_total=4)
    resp = c.get(reverse("imports:export_progress", args=[job.pk]))
    html = resp.content.decode()
    assert "hx-get" not in html and "下载 Excel（4 行" in html and resp["Cache-Control"] == "no-store"


def test_my_exports_lists_own_jobs_only(private_tmp, users, officer, people):
    mine = request(officer)
    theirs = request(users["civil_affairs"])
    html = client_for(officer).get(reverse("imports:exports")).content.decode()
    assert f"#{mine.pk}" in html and f"#{theirs.pk}" not in html and "下载" in html


# --- expiry ----------------------------------------------------------------------------------------------

def test_expiry_deletes_the_file_and_the_download_answers_410(private_tmp, officer, people):
    job = request(officer)
    path = job_file(job)
    assert path.is_file()
    later = job.expires_at + dt.timedelta(seconds=1)
    assert export_jobs.purge(later)["expired"] == 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and job.stored_name == ""
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 410
    assert "已超过保存期限（24 小时）并已从服务器删除" in resp.content.decode()
    ev = AuditEvent.objects.get(event_type="export_expire", object_id=str(job.pk))
    assert ev.actor_id is None and ev.detail["files"] == 1


def test_download_after_expiry_deletes_the_file_at_once(settings, private_tmp, officer, people):
    job = request(officer)
    path = job_file(job)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 410 and not path.exists()
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def test_opening_my_exports_expires_what_is_due(private_tmp, officer, people):
    job = request(officer)
    path = job_file(job)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client_for(officer).get(reverse("imports:exports")).status_code == 200
    assert not path.exists()


def test_file_ttl_is_a_setting(settings, private_tmp, officer, people):
    settings.EXPORT_FILE_TTL = dt.timedelta(days=7)
    job = request(officer)
    assert job.expires_at - job.finished_at == dt.timedelta(days=7)


def test_purge_command_expires_files_stale_requests_stuck_jobs_and_orphans(
        approval_needed, private_tmp, users, officer, people):
    done = request(users["civil_affairs"])  # a city request: another city-level approver decides
    export_jobs.decide(done.pk, testing.make_user("civil_affairs", users["civil_affairs"].region), True)
    stale = request(officer)  # pending, never decided
    stuck = request(officer, query="age_band=80%2B")
    ExportJob.objects.filter(pk=stuck.pk).update(status=ExportStatus.RUNNING)
    orphan = export_jobs.exports_dir() / "export-999-0000.xlsx"
    orphan.write_bytes(b"x")
    old = timezone.now() - dt.timedelta(days=8)
    ExportJob.objects.filter(pk__in=[stale.pk, stuck.pk]).update(created_at=old, updated_at=old)
    ExportJob.objects.filter(pk=done.pk).update(expires_at=old)
    import os
    os.utime(orphan, (old.timestamp(), old.timestamp()))
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert out.getvalue().strip() == "expired=1 stale=1 stuck=1 orphans=1"
    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {done.pk: "expired", stale.pk: "expired", stuck.pk: "failed"}
    assert list(export_jobs.exports_dir().iterdir()) == []
    assert "申请超过 7 天未获处理" in ExportJob.objects.get(pk=stale.pk).message


def test_expired_or_missing_file_never_serves_a_tampered_copy(private_tmp, officer, people):
    job = request(officer)
    path = job_file(job)
    path.write_bytes(path.read_bytes() + b"tampered")
    resp = client_for(officer).get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 409 and "校验失败" in resp.content.decode()
    path.unlink()
    assert client_for(officer).get(reverse("imports:export_download", args=[job.pk])).status_code == 410


# --- audit -----------------------------------------------------------------------------------------------

def test_every_step_is_audited(approval_needed, private_tmp, users, officer, people):
    boss = users["civil_affairs"]
    job, status, _ = testing.export_through_pages(officer, ELDERLY, "age_band=80%2B", approver=boss)
    assert status == 200
    events = list(AuditEvent.objects.filter(object_type="imports.exportjob", object_id=str(job.pk))
                  .order_by("id").values_list("event_type", "actor_id", "outcome"))
    assert events == [("export_request", officer.pk, "success"), ("export_approve", boss.pk, "success"),
                      ("export", officer.pk, "success"), ("download", officer.pk, "success")]
    req = AuditEvent.objects.get(event_type="export_request", object_id=str(job.pk))
    assert req.reason == "核对名单数据" and req.detail["filter"] == "age_band=80%2B" and req.detail["rows"] == 2
    made = AuditEvent.objects.get(event_type="export", object_id=str(job.pk))
    assert made.detail["rows"] == 2 and made.detail["sha256"] == job.sha256 and made.detail["approver"] == str(boss)
    assert made.region_code == officer.region_id


# --- API -------------------------------------------------------------------------------------------------

def api_for(user):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_follows_the_same_rules(approval_needed, private_tmp, tree, users, officer, people):
    c = api_for(officer)
    assert c.post("/api/exports/", {"resource": "elderly"}, format="json").status_code == 400  # no reason
    resp = c.post("/api/exports/", {"resource": "elderly", "filter": "age_band=80%2B", "reason": "核对名单"},
                  format="json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["status"] == "pending" and data["needs_approval"] and data["rows_requested"] == 2
    pk = data["id"]
    assert c.get(f"/api/exports/{pk}/download/").status_code == 403
    assert c.post(f"/api/exports/{pk}/approve/", {}, format="json").status_code == 403  # own request
    other = api_for(testing.make_user("county_officer", tree["wuyuan"]))
    assert other.get(f"/api/exports/{pk}/").status_code == 404
    assert other.post(f"/api/exports/{pk}/approve/", {}, format="json").status_code == 404
    boss = api_for(users["civil_affairs"])
    assert [j["id"] for j in boss.get("/api/exports/pending/").json()["results"]] == [pk]
    assert boss.get("/api/exports/").json()["count"] == 0  # the list is one's own jobs
    resp = boss.post(f"/api/exports/{pk}/approve/", {"comment": "同意"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "done"
    assert boss.get(f"/api/exports/{pk}/download/").status_code == 403
    listed = c.get("/api/exports/").json()["results"]
    assert [j["id"] for j in listed] == [pk] and listed[0]["download_url"].endswith(f"/api/exports/{pk}/download/")
    resp = c.get(f"/api/exports/{pk}/download/")
    assert resp.status_code == 200
    content = b"".join(resp.streaming_content)
    assert len(sheet_rows(content)[2:]) == 2 and not FULL_ID.search(xlsx_text(content))
    ExportJob.objects.filter(pk=pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    resp = c.get(f"/api/exports/{pk}/download/")
    assert resp.status_code == 410 and "保存期限" in resp.json()["detail"]


def test_api_reject_and_roles(approval_needed, tree, users, officer, people):
    job = request(officer)
    boss = api_for(users["civil_affairs"])
    assert boss.post(f"/api/exports/{job.pk}/reject/", {}, format="json").status_code == 400
    assert boss.post(f"/api/exports/{job.pk}/reject/", {"comment": "不必要"}, format="json").json()["status"] \
        == "rejected"
    assert api_for(users["inspector"]).post("/api/exports/", {"resource": "elderly", "reason": "看看数据"},
                                            format="json").status_code == 403
    assert api_for(users["inspector"]).get("/api/exports/pending/").json()["count"] == 0
