"""The annual report from the dashboard: button → job (ImmediateBackend) → progress page → downloads,
with scope (another county gets 404), roles (no export → 403), audit, and the ``purge_reports`` sweeper.
"""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="index"

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.indicators import report, selectors
from ylyx.indicators.models import Plan, ReportJob

from .data import build
from .helpers import STANDARD_ROWS, make_plan

PI_RE = r"\d{17}[\dX]"
YEAR = 2023
LINHE = "150802000000"
WUYUAN = "150821000000"
BEDS = "养老床位数"


def body(resp) -> str:
    text = resp.content.decode()
    assert not re.search(PI_RE, text), "a full ID number reached the page"
    return text


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def download(resp) -> bytes:
    """Reading the stream to the end closes the file (the test client's wrapper closes the response)."""
    return b"".join(resp.streaming_content)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def seeded(tree, var_dir):
    """The five seed plans over the small registry of ``data.build``; the city's plan is the one used."""
    from ylyx.indicators.services import load_seed_plans

    build(tree)
    load_seed_plans()
    return Plan.objects.get(code="bayannur-2021")


@pytest.fixture
def small(tree, var_dir):
    """A five-row plan, for tests that do not need the seed plan's 25 rows."""
    build(tree)
    return make_plan(STANDARD_ROWS)


def press(client, user, plan, region=LINHE, year=YEAR):
    client.force_login(user)
    return client.post(reverse("indicators:report_create"), {"plan": plan.pk, "region": region, "year": year})


def job_urls(job) -> dict[str, str]:
    return {"page": reverse("indicators:report_job", args=[job.pk]),
            "progress": reverse("indicators:report_job_progress", args=[job.pk]),
            "pdf": reverse("indicators:report_download", args=[job.pk, "pdf"]),
            "xlsx": reverse("indicators:report_download", args=[job.pk, "xlsx"])}


def make_done_job(plan, region, user, year=YEAR, created_days_ago=0) -> ReportJob:
    """A finished job with files written by hand, for the sweeper and scope tests."""
    job = ReportJob.objects.create(plan=plan, region=region, year=year, requested_by=user, status="done",
                                   progress=100, finished_at=timezone.now())
    folder = report.job_dir(job.pk)
    folder.mkdir(parents=True)
    pdf, xlsx = report.report_paths(folder, plan.code, region.code, year)
    pdf.write_bytes(b"%PDF-1.7 test")
    xlsx.write_bytes(b"PK test")
    ReportJob.objects.filter(pk=job.pk).update(
        pdf_path=str(pdf), xlsx_path=str(xlsx), created_at=timezone.now() - dt.timedelta(days=created_days_ago))
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------------
# the whole path, on the seed plans


def test_county_officer_generates_and_downloads_the_annual_report(client, users, seeded, var_dir, tree):
    officer = users["county_officer"]  # 临河区
    client.force_login(officer)
    dash = body(client.get(f"{reverse('indicators:dashboard')}?plan={seeded.pk}"))
    assert "生成年度报告" in dash and reverse("indicators:report_create") in dash
    last_full_year = timezone.localdate().year - 1
    assert f'<option value="{last_full_year}" selected>' in dash

    resp = press(client, officer, seeded)
    job = ReportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("indicators:report_job", args=[job.pk])
    assert (job.plan_id, job.region_id, job.year, job.requested_by_id) == (seeded.pk, LINHE, YEAR, officer.pk)
    assert job.status == "done" and job.progress == 100 and job.finished_at is not None and job.task_id
    pdf_path, xlsx_path = Path(job.pdf_path), Path(job.xlsx_path)
    assert pdf_path.parent == var_dir / "reports" / "jobs" / str(job.pk)
    assert pdf_path.name == f"bayannur-2021-{LINHE}-{YEAR}.pdf" and xlsx_path.is_file()

    urls = job_urls(job)
    page = body(client.get(urls["page"]))
    assert "已完成" in page and urls["pdf"] in page and urls["xlsx"] in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    fragment = body(client.get(urls["progress"]))
    assert 'value="100"' in fragment and urls["pdf"] in fragment and "hx-trigger" not in fragment

    resp = client.get(urls["pdf"])
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("attachment;") and "no-store" in resp["Cache-Control"]
    data = download(resp)
    assert data.startswith(b"%PDF")

    # the engine's figure for 临河区: 120 beds in the public home + 20 in the day-care centre
    table = selectors.plan_table(seeded, LINHE, dt.date(YEAR, 12, 31))
    beds = next(r for r in table.rows if r.name.startswith(BEDS))
    assert beds.value == 140
    local = var_dir / "downloaded.pdf"
    local.write_bytes(data)
    pypdf_text = compact("\n".join(p.extract_text() for p in PdfReader(local).pages))
    poppler = compact(subprocess.run(["pdftotext", "-enc", "UTF-8", str(local), "-"], capture_output=True,
                                     check=True).stdout.decode())
    for text in (pypdf_text, poppler):
        for needle in (seeded.title, "临河区", f"{YEAR}年度实施情况报告", BEDS, "养老机构护理型床位占比",
                       "每千人口拥有3岁以下婴幼儿托位数"):
            assert needle in text, needle
        assert re.search(BEDS + r"（张）张?12276≥14276（2025年）140(?!\d)", text), "the beds row and its value"

    xresp = client.get(urls["xlsx"])
    assert xresp.status_code == 200 and xresp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(download(xresp)))
    header = [c.value for c in wb["指标"][1]]
    row = next(dict(zip(header, r, strict=True)) for r in wb["指标"].iter_rows(min_row=2, values_only=True)
               if r[2].startswith(BEDS))
    assert row[f"{YEAR}年末值"] == 140

    downloads = AuditEvent.objects.filter(event_type="download", actor_id=officer.pk).order_by("id")
    assert [e.detail["format"] for e in downloads] == ["pdf", "xlsx"]
    ev = downloads[0]
    assert ev.outcome == "success" and ev.object_type == "indicators.reportjob" and ev.object_id == str(job.pk)
    assert ev.region_code == LINHE and ev.detail["year"] == YEAR and ev.detail["file"] == pdf_path.name
    export = AuditEvent.objects.get(event_type="export", actor_id=officer.pk)
    assert export.outcome == "success" and export.detail["files"] == [pdf_path.name, xlsx_path.name]

    # another county's officer: the job and both files answer 404; the city sees them
    neighbour = testing.make_user("county_officer", tree["wuyuan"])
    client.force_login(neighbour)
    for url in urls.values():
        assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(event_type="download", actor_id=neighbour.pk).exists()
    client.force_login(users["civil_affairs"])
    assert client.get(urls["page"]).status_code == 200
    assert download(client.get(urls["pdf"])).startswith(b"%PDF")

    # the sweeper: the job is older than the retention period, its files go and it is expired
    ReportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    out = io.StringIO()
    call_command("purge_reports", stdout=out)
    assert "已清理报告任务 1 个，删除文件 2 个" in out.getvalue()
    assert not pdf_path.exists() and not xlsx_path.exists() and not pdf_path.parent.exists()
    job.refresh_from_db()
    assert job.status == "expired" and job.pdf_path == "" and "超过保存期限" in job.message
    client.force_login(officer)
    assert client.get(urls["pdf"]).status_code == 404
    assert "已过期" in body(client.get(urls["page"]))


# ---------------------------------------------------------------------------------------------------
# refusals at the button


@pytest.mark.parametrize("role", ["inspector", "auditor", "sysadmin"])
def test_roles_without_indicator_export_are_refused(client, users, small, role):
    resp = press(client, users[role], small, region="")
    assert resp.status_code == 403
    assert not ReportJob.objects.exists()
    ev = AuditEvent.objects.get(event_type="export", actor_id=users[role].pk)
    assert ev.outcome == "denied" and "没有导出指标报告的权限" in ev.reason


def test_role_without_export_cannot_open_a_job(client, users, small, tree):
    job = make_done_job(small, tree["linhe"], users["county_officer"])
    client.force_login(users["inspector"])
    for url in job_urls(job).values():
        assert client.get(url).status_code == 403, url
    assert not AuditEvent.objects.filter(event_type="download").exists()


def test_other_county_cannot_request_a_report_for_it(client, users, small):
    resp = press(client, users["county_officer"], small, region=WUYUAN)  # a 临河区 officer
    assert resp.status_code == 404
    assert not ReportJob.objects.exists()
    ev = AuditEvent.objects.get(event_type="export", actor_id=users["county_officer"].pk)
    assert ev.outcome == "denied" and ev.detail["region"] == WUYUAN


def test_another_citys_plan_is_not_found(client, users, small, tree):
    other = make_plan(STANDARD_ROWS, code="chifeng-test", region_code="150400000000", region_name="赤峰市")
    assert press(client, users["civil_affairs"], other, region="").status_code == 404
    assert not ReportJob.objects.exists()


@pytest.mark.parametrize(("year", "message"), [("20x3", "不是有效的四位年份"), ("1999", "超出范围"), ("", "不是有效")])
def test_bad_year_is_a_message_and_no_job(client, users, small, year, message):
    resp = press(client, users["county_officer"], small, year=year)
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("indicators:dashboard"))
    assert not ReportJob.objects.exists()
    page = body(client.get(resp["Location"]))
    assert "报告年度：" in page and message in page


def test_town_officer_may_report_on_the_town_but_not_see_the_county_job(client, users, small, tree):
    county_job = make_done_job(small, tree["linhe"], users["county_officer"])
    town = users["town_officer"]
    client.force_login(town)
    for url in job_urls(county_job).values():
        assert client.get(url).status_code == 404, url
    assert press(client, town, small, region=LINHE).status_code == 404
    resp = press(client, town, small, region=tree["linhe_town"].code)
    job = ReportJob.objects.get(requested_by=town)
    assert resp.status_code == 302 and job.status == "done" and job.region_id == tree["linhe_town"].code


# ---------------------------------------------------------------------------------------------------
# progress and failures


def test_task_writes_progress_to_the_job_as_it_goes(client, users, small, monkeypatch):
    seen = []
    real_pdf, real_xlsx = report.render_pdf, report.render_xlsx

    def job_state():
        j = ReportJob.objects.get()
        return j.status, j.progress, j.message

    def spy_pdf(table, year):
        seen.append(("pdf", job_state()))
        return real_pdf(table, year)

    def spy_xlsx(table, year):
        seen.append(("xlsx", job_state()))
        return real_xlsx(table, year)

    real_fn = report.plan_table_function()

    def spy_table(*a, **kw):
        seen.append(("table", job_state()))
        return real_fn(*a, **kw)

    monkeypatch.setattr(report, "render_pdf", spy_pdf)
    monkeypatch.setattr(report, "render_xlsx", spy_xlsx)
    monkeypatch.setattr(report, "plan_table_function", lambda: spy_table)
    press(client, users["county_officer"], small)
    assert seen == [("table", ("running", 10, "正在计算指标")), ("pdf", ("running", 60, "正在生成 PDF")),
                    ("xlsx", ("running", 90, "正在生成 Excel"))]
    assert job_state() == ("done", 100, "报告已生成")


def test_running_job_page_polls_and_offers_no_download(client, users, small, tree):
    job = ReportJob.objects.create(plan=small, region=tree["linhe"], year=YEAR, requested_by=users["county_officer"],
                                   status="running", progress=60, message="正在生成 PDF")
    client.force_login(users["county_officer"])
    urls = job_urls(job)
    page = body(client.get(urls["page"]))
    assert f'hx-get="{urls["progress"]}"' in page and 'hx-trigger="every 1s"' in page
    fragment = body(client.get(urls["progress"]))
    assert 'value="60"' in fragment and "正在生成 PDF" in fragment and 'hx-trigger="every 1s"' in fragment
    assert urls["pdf"] not in fragment
    assert client.get(urls["pdf"]).status_code == 404
    assert client.get(reverse("indicators:report_download", args=[job.pk, "docx"])).status_code == 404


def test_second_press_while_running_goes_to_the_same_job(client, users, small, tree):
    officer = users["county_officer"]
    job = ReportJob.objects.create(plan=small, region=tree["linhe"], year=YEAR, requested_by=officer,
                                   status="queued")
    resp = press(client, officer, small)
    assert resp["Location"] == reverse("indicators:report_job", args=[job.pk])
    assert ReportJob.objects.count() == 1
    press(client, officer, small, year=YEAR - 1)  # another year is another job
    assert ReportJob.objects.count() == 2


def test_crash_in_the_task_marks_the_job_failed(client, users, small, monkeypatch):
    def broken(table, year):
        raise RuntimeError("font missing")

    monkeypatch.setattr(report, "render_pdf", broken)
    resp = press(client, users["county_officer"], small)
    job = ReportJob.objects.get()
    assert resp.status_code == 302 and job.status == "error" and "系统错误" in job.message
    assert "font missing" not in job.message
    page = body(client.get(job_urls(job)["page"]))
    assert 'role="alert"' in page and "系统错误" in page
    assert client.get(job_urls(job)["pdf"]).status_code == 404


def test_refusal_inside_the_task_is_shown_on_the_job(users, small, tree):
    """The view checks first, but the task checks again (the user may have changed since the press)."""
    officer = users["county_officer"]
    job = ReportJob.objects.create(plan=small, region=tree["wuyuan"], year=YEAR, requested_by=officer)
    out = report.generate_annual_report.enqueue(small.pk, WUYUAN, YEAR, officer.pk, job_id=job.pk).return_value
    job.refresh_from_db()
    assert out["status"] == "error" and job.status == "error" and "超出您的管辖范围" in job.message
    assert job.pdf_path == "" and not report.job_dir(job.pk).exists()


def test_dashboard_lists_recent_reports_of_its_region(client, users, small, tree):
    job = make_done_job(small, tree["linhe"], users["county_officer"])
    city_job = make_done_job(small, tree["city"], users["civil_affairs"])
    client.force_login(users["county_officer"])
    page = body(client.get(f"{reverse('indicators:dashboard')}?plan={small.pk}"))
    assert "最近的报告（1）" in page and reverse("indicators:report_job", args=[job.pk]) in page
    assert reverse("indicators:report_job", args=[city_job.pk]) not in page  # the city's job is above 临河区
    client.force_login(users["inspector"])
    assert client.get(reverse("indicators:dashboard")).status_code == 403


def test_download_refuses_a_path_outside_the_reports_folder(client, users, small, tree, var_dir):
    job = make_done_job(small, tree["linhe"], users["county_officer"])
    outside = var_dir / "elsewhere.pdf"
    outside.write_bytes(b"%PDF secret")
    ReportJob.objects.filter(pk=job.pk).update(pdf_path=str(outside))
    client.force_login(users["county_officer"])
    assert client.get(job_urls(job)["pdf"]).status_code == 404
    resp = client.get(job_urls(job)["xlsx"])
    assert resp.status_code == 200 and download(resp) == b"PK test"


# ---------------------------------------------------------------------------------------------------
# the sweeper


def test_purge_uses_the_setting_then_the_option(users, small, tree, settings, var_dir):
    officer = users["county_officer"]
    old = make_done_job(small, tree["linhe"], officer, created_days_ago=40)
    fresh = make_done_job(small, tree["linhe"], officer, year=YEAR - 1, created_days_ago=3)
    orphan = var_dir / "reports" / "jobs" / "999999"
    orphan.mkdir(parents=True)
    (orphan / "left.pdf").write_bytes(b"%PDF")
    settings.REPORT_RETENTION_DAYS = 60
    call_command("purge_reports", stdout=io.StringIO())
    assert ReportJob.objects.filter(status="expired").count() == 0 and Path(old.pdf_path).exists()
    assert orphan.exists()  # an orphan folder is kept as long as a job's files would be

    settings.REPORT_RETENTION_DAYS = 30
    call_command("purge_reports", stdout=io.StringIO())
    old.refresh_from_db()
    assert old.status == "expired" and not report.job_dir(old.pk).exists()
    assert orphan.exists()  # just made, so younger than the period

    out = io.StringIO()
    call_command("purge_reports", days=2, stdout=out)
    fresh_pdf = Path(fresh.pdf_path)
    fresh.refresh_from_db()
    assert fresh.status == "expired" and not fresh_pdf.exists()
    assert "已清理报告任务 1 个，删除文件 2 个" in out.getvalue()
    events = AuditEvent.objects.filter(event_type="report_purge").order_by("id")
    assert [e.detail["days"] for e in events] == [30, 2] and events[0].detail["jobs"] == 1


def test_purge_removes_old_orphan_folders(var_dir, db):
    orphan = var_dir / "reports" / "jobs" / "424242"
    orphan.mkdir(parents=True)
    (orphan / "x.pdf").write_bytes(b"%PDF")
    assert report.purge_reports(30) == {"jobs": 0, "files": 0, "orphans": 0}
    assert report.purge_reports(30, now=timezone.now() + dt.timedelta(days=31)) == {"jobs": 0, "files": 1,
                                                                                    "orphans": 1}
    assert not orphan.exists()


def test_purge_refuses_a_period_under_one_day(db):
    with pytest.raises(CommandError, match="保存天数应为不小于 1 的整数"):
        call_command("purge_reports", days=0)
