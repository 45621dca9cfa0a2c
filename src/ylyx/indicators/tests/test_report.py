"""The annual report: the PDF and workbook built from a hand-made PlanTable, the task and the command."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="attr-defined,index,union-attr,operator"

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from ylyx.audit.models import AuditEvent
from ylyx.indicators import report
from ylyx.indicators.results import IndicatorRow, PlanTable, Provenance, RegionRow

TITLE = "巴彦淖尔市“一老一小”整体解决方案"
BEDS = "养老机构护理型床位占比"
PLACES = "每千人口拥有3岁以下婴幼儿托位数"


def make_table(plan_code: str = "bayannur-2021", region_code: str = "150800000000",
               on: dt.date = dt.date(2023, 12, 31)) -> PlanTable:
    """Two indicators (the binding one behind), provenance of both kinds, two counties below."""
    rows = [
        IndicatorRow(
            seq="1", category="养老", name=BEDS, unit="%", property="约束性", baseline_text="40",
            target_text="55", target_value=55, comparator=">=", target_year=2025, value=42.5, milestone=49,
            status="behind",
            provenance=Provenance(kind="computed", formula="护理型床位 ÷ 养老机构床位 × 100",
                                  numerator=5218, denominator=12276, as_of=dt.date(2023, 12, 31)),
            trend=[(2020, 40.0), (2021, 41.2), (2022, None), (2023, 42.5)], departments=["民政局", "卫健委"]),
        IndicatorRow(
            seq="2", category="托育", name=PLACES, unit="个", property="预期性", baseline_text="0.8",
            target_text="4.5", target_value=4.5, comparator=">=", target_year=2025, value=4.6, milestone=3.3,
            status="met",
            provenance=Provenance(kind="reported", reported_by="市卫健委",
                                  reported_at=dt.datetime(2024, 1, 10, 9, 30), note="含普惠托位"),
            trend=[(2020, 0.8), (2021, 1.9), (2022, 3.1), (2023, 4.6)], departments=["卫健委"]),
    ]
    breakdown = [
        RegionRow("150802000000", "临河区", {"1": 38.25, "2": 5.1}, {"1": "behind", "2": "met"}),
        RegionRow("150821000000", "五原县", {"1": 51.0, "2": None}, {"1": "on_track", "2": "no_data"}),
    ]
    return PlanTable(plan_code=plan_code, plan_title=TITLE, region_code=region_code, region_name="巴彦淖尔市",
                     on=on, rows=rows, breakdown=breakdown)


def compact(text: str) -> str:
    """Table cells wrap names across lines; compare without whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return report.render_pdf(make_table(), 2023)


@pytest.fixture(scope="module")
def pdf_texts(pdf_bytes, tmp_path_factory) -> dict[str, str]:
    """The text as pypdf and as poppler's pdftotext read it: both must see real CJK characters."""
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(pdf_bytes)
    pypdf_text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return {"pypdf": compact(pypdf_text), "pdftotext": compact(poppler.stdout.decode())}


# ---------------------------------------------------------------------------------------------------
# PDF


def test_pdf_opens_with_pages_title_and_cjk_font(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert pdf_bytes.startswith(b"%PDF")
    assert len(reader.pages) >= 6  # cover, summary, table, charts, breakdown, appendix each start a page
    assert TITLE in reader.metadata.title
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"].get("/Font", {}).values()}
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts


@pytest.mark.parametrize("tool", ["pypdf", "pdftotext"])
def test_pdf_text_has_title_names_values_and_statuses(pdf_texts, tool):
    text = pdf_texts[tool]
    for needle in (TITLE, BEDS, PLACES, "42.5", "4.6", "达标", "滞后", "≥55", "2023年度实施情况报告",
                   "临河区", "五原县", "38.25", "护理型床位÷养老机构床位×100", "5218", "12276", "市卫健委",
                   "含普惠托位", "民政局、卫健委"):
        assert needle in text, needle


def test_pdf_footer_numbers_pages(pdf_bytes, pdf_texts):
    n = len(PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert f"第2页/共{n}页" in pdf_texts["pypdf"]
    assert f"第{n}页/共{n}页" in pdf_texts["pypdf"]
    assert "第1页/" not in pdf_texts["pypdf"]  # no footer on the cover


def test_pdf_summary_flags_binding_indicator_behind(pdf_texts):
    text = pdf_texts["pypdf"]
    summary = text[text.index("一、总体情况"):text.index("二、指标完成情况")]
    assert "达标1项" in summary and "滞后1项" in summary
    assert BEDS in summary and "约束性·滞后" in summary
    assert PLACES not in summary  # met indicators are not listed among those behind


def test_pdf_renders_without_network(monkeypatch):
    """A remote URL in the data is escaped text, and the fetcher refuses anything but file: and data:."""
    from weasyprint.urls import URLFetcher

    seen = []
    real_fetch = URLFetcher.fetch

    def spy(self, url, headers=None):
        seen.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", spy)
    table = make_table()
    table.rows[0].name = '<img src="http://198.51.100.1/x.png">床位'
    pdf = report.render_pdf(table, 2023)
    assert pdf.startswith(b"%PDF")
    assert not [u for u in seen if not u.startswith(("file:", "data:"))]
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    with pytest.raises(ValueError):
        fetcher.fetch("http://198.51.100.1/x.png")


# ---------------------------------------------------------------------------------------------------
# the HTML and the charts


def test_binding_behind_listed_first_and_highlighted():
    table = make_table()
    other = IndicatorRow(
        seq="0", category="养老", name="城市居家社区养老服务覆盖率", unit="%", property="预期性",
        baseline_text="27", target_text="90", target_value=90, comparator=">=", target_year=2025, value=50,
        milestone=70, status="behind", provenance=Provenance(kind="none"))
    table.rows.insert(0, other)  # behind but not binding, and first in plan order
    ctx = report.report_context(table, 2023)
    assert [r["row"].name for r in ctx["binding_behind"]] == [BEDS]
    assert [r["row"].name for r in ctx["other_behind"]] == [other.name]
    html = report.render_html(table, 2023)
    summary = html[html.index("一、总体情况"):html.index("二、指标完成情况")]
    assert summary.index(BEDS) < summary.index(other.name)
    assert re.search(r'<tr class="binding-behind"><td>1</td><td>' + BEDS, summary)


def test_html_and_svg_escape_names():
    table = make_table()
    table.rows[0].name = "<script>alert(1)</script>床位"
    html = report.render_html(table, 2023)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    svg = report.bar_chart_svg(table.rows)
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_breakdown_marks_behind_cells_and_uses_row_key():
    table = make_table()
    table.rows[0].key = "养老-1"  # the engine keys breakdowns by row.key when seqs repeat
    table.breakdown[0].values = {"养老-1": 33.5, "2": 5.1}
    table.breakdown[0].statuses = {"养老-1": "behind", "2": "met"}
    html = report.render_html(table, 2023)
    assert re.search(r'class="num cell-behind">33.5<span class="mark">滞后</span>', html)
    # 五原县 is still keyed by the bare seq, so with a key set its value is not found (not mis-matched)
    assert 'class="num cell-on_track">51<' not in html
    assert html.count('class="num cell-no_data">—<') == 2


def test_value_without_status_is_not_assessed_rather_than_no_data():
    table = make_table()
    row = table.rows[1]
    row.status, row.target_applies = "no_data", False  # a total whose target belongs to the plan region
    ctx = report.report_context(table, 2023)
    assert ctx["rows"][1]["status_label"] == "不评价"
    assert {c["status"]: c["n"] for c in ctx["counts"]}["not_assessed"] == 1
    assert "不评价（总量指标）" in report.bar_chart_svg(table.rows)
    assert "目标" not in report.trend_chart_svg(row)  # no target line for a target that does not apply


def test_attainment_and_target_display():
    row = make_table().rows[0]
    assert report.attainment(row) == pytest.approx(42.5 / 55 * 100)
    row.comparator, row.value, row.target_value = "<=", 8.0, 6.0  # lower is better: 6 of 8 is 75%
    assert report.attainment(row) == pytest.approx(75.0)
    row.value = None
    assert report.attainment(row) is None
    row = make_table().rows[0]
    assert report.target_display(row) == "≥55"
    row.target_text, row.target_value = "稳定在95%以上", 95
    assert report.target_display(row) == "≥95（稳定在95%以上）"
    row.target_text = "95%"
    assert report.target_display(row) == "≥95"
    row.target_value, row.target_text = None, "建立健全"
    assert report.target_display(row) == "建立健全"


def test_bar_chart_shows_percent_of_target_and_caps_long_bars():
    rows = make_table().rows
    svg = report.bar_chart_svg(rows)
    assert "77.3%" in svg and "102.2%" in svg
    rows[1].value = 45.0  # 1000% of target
    svg = report.bar_chart_svg(rows)
    assert "1000%+" in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert max(widths) <= (620 - 262) + 0.1  # clipped at 150%


def test_trend_chart_breaks_line_at_missing_year():
    row = make_table().rows[0]  # 2022 is missing
    svg = report.trend_chart_svg(row)
    assert svg.count("<polyline") == 1  # 2020–2021 joined; 2023 stands alone
    assert svg.count("<circle") == 3
    assert "目标≥55" in svg
    row.trend = [(2020, None), (2021, None)]
    assert report.trend_chart_svg(row) is None


def test_nice_ticks_are_round():
    assert report.nice_ticks(0, 61.6) == [0, 20, 40, 60, 80]
    assert report.nice_ticks(0, 4.97) == [0, 2, 4, 6]
    assert report.nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1.0]


def test_empty_plan_renders_a_clear_note():
    table = make_table()
    table.rows, table.breakdown = [], []
    html = report.render_html(table, 2023)
    assert "该规划尚未设置指标" in html and "本区划没有下一级区划数据" in html
    wb = load_workbook(io.BytesIO(report.render_xlsx(table, 2023)))
    assert wb["指标"].max_row == 1


# ---------------------------------------------------------------------------------------------------
# Excel


def test_xlsx_has_three_sheets_with_values():
    wb = load_workbook(io.BytesIO(report.render_xlsx(make_table(), 2023)))
    assert wb.sheetnames == ["指标", "分区", "口径"]
    ind = wb["指标"]
    header = [c.value for c in ind[1]]
    assert header[:6] == ["类别", "序号", "指标名称", "单位", "基期值", "目标值"]
    assert "2023年末值" in header and "状态" in header and "责任部门" in header
    rows = {r[2]: r for r in ind.iter_rows(min_row=2, values_only=True)}
    beds = dict(zip(header, rows[BEDS], strict=True))
    assert beds["2023年末值"] == 42.5 and beds["目标值"] == "≥55" and beds["状态"] == "滞后"
    assert beds["属性"] == "约束性" and beds["责任部门"] == "民政局、卫健委"
    assert dict(zip(header, rows[PLACES], strict=True))["状态"] == "达标"
    assert ind.freeze_panes == "A2"
    assert ind["A1"].font.bold and ind["A1"].fill.fgColor.rgb.endswith("1F4E79")
    assert ind["A2"].fill.fgColor.rgb.endswith("F8D7DA")  # the row behind is shaded
    assert ind["A3"].fill.fgColor.rgb in (None, "00000000")

    part = wb["分区"]
    assert part.freeze_panes == "A2"
    lines = list(part.iter_rows(min_row=2, values_only=True))
    assert ("150802000000", "临河区", "养老", "1", BEDS, "%", 38.25, "滞后") in lines
    assert ("150821000000", "五原县", "托育", "2", PLACES, "个", None, "无数据") in lines

    prov = wb["口径"]
    assert prov.freeze_panes == "A2"
    first = [c.value for c in prov[2]]
    assert first[:6] == ["1", BEDS, "系统计算", "护理型床位 ÷ 养老机构床位 × 100", 5218, 12276]
    assert [c.value for c in prov[3]][7] == "市卫健委"


def test_xlsx_neutralises_formulas_in_text_but_keeps_negative_numbers():
    table = make_table()
    table.rows[0].name = '=HYPERLINK("http://198.51.100.1","点我")'
    table.rows[0].departments = ["+cmd|' /C calc'!A0"]
    table.rows[1].provenance.reported_by = "@SUM(1+1)"
    table.rows[1].provenance.note = "-2+3"
    table.rows[1].value = -1.5
    wb = load_workbook(io.BytesIO(report.render_xlsx(table, 2023)))
    ind = wb["指标"]
    name = ind["C2"]
    assert name.value == "'" + table.rows[0].name and name.data_type == "s"
    assert ind["M2"].value.startswith("'+")
    assert ind["I3"].value == -1.5 and ind["I3"].data_type == "n"
    prov = [c.value for c in wb["口径"][3]]
    assert prov[7] == "'@SUM(1+1)" and prov[9] == "'-2+3"
    assert all(not str(c.value).startswith("=") for ws in wb for row in ws.iter_rows() for c in row
               if c.value is not None)


# ---------------------------------------------------------------------------------------------------
# finding the engine


def test_plan_table_function_prefers_selectors_then_services(monkeypatch):
    def fake(*a, **kw):
        return None

    monkeypatch.setitem(sys.modules, "ylyx.indicators.selectors", None)
    services = types.ModuleType("ylyx.indicators.services")
    services.plan_table = fake
    monkeypatch.setitem(sys.modules, "ylyx.indicators.services", services)
    assert report.plan_table_function() is fake


def test_plan_table_function_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ylyx.indicators.selectors", None)
    monkeypatch.setitem(sys.modules, "ylyx.indicators.services", None)
    with pytest.raises(report.ReportError, match="找不到 ylyx.indicators.selectors.plan_table"):
        report.plan_table_function()


# ---------------------------------------------------------------------------------------------------
# the task and the command


@pytest.fixture
def plan(db, tree):
    from ylyx.indicators.models import Plan

    return Plan.objects.create(code="bayannur-2021", title=TITLE, region_code="150800000000",
                               region_name="巴彦淖尔市", owner_region_code="150800000000")


@pytest.fixture
def engine(monkeypatch):
    """Stands in for the engine's plan_table; records how it was called."""
    calls = []

    def fake_plan_table(plan, region_code, on, with_breakdown=True):
        calls.append((plan.code, region_code, on, with_breakdown))
        return make_table(plan_code=plan.code, region_code=region_code, on=on)

    monkeypatch.setattr(report, "plan_table_function", lambda: fake_plan_table)
    return calls


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_task_writes_both_files_and_audits(plan, users, engine, var_dir):
    user = users["civil_affairs"]
    result = report.generate_annual_report.enqueue(plan.pk, "150800", 2023, user.pk)
    out = result.return_value
    assert out["status"] == "done" and out["progress"] == 100
    pdf, xlsx = Path(out["pdf"]), Path(out["xlsx"])
    assert pdf == var_dir / "reports" / "bayannur-2021-150800000000-2023.pdf"
    assert xlsx == var_dir / "reports" / "bayannur-2021-150800000000-2023.xlsx"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert load_workbook(xlsx).sheetnames == ["指标", "分区", "口径"]
    assert engine == [("bayannur-2021", "150800000000", dt.date(2023, 12, 31), True)]
    assert not list((var_dir / "reports").glob(".*"))  # no temporary files left behind
    ev = AuditEvent.objects.get(event_type="export", actor_id=user.pk)
    assert ev.outcome == "success" and ev.object_id == str(plan.pk)
    assert ev.detail["year"] == 2023 and ev.detail["files"] == [pdf.name, xlsx.name]


def test_task_county_officer_reads_own_county_of_city_plan_by_code(plan, users, engine, var_dir):
    out = report.generate_annual_report.enqueue("bayannur-2021", "150802", 2023,
                                                users["county_officer"].pk).return_value
    assert out["status"] == "done"
    assert Path(out["pdf"]).name == "bayannur-2021-150802000000-2023.pdf"


def test_task_refuses_other_county(plan, users, engine, var_dir):
    officer = users["county_officer"]  # 临河区
    out = report.generate_annual_report.enqueue(plan.pk, "150821", 2023, officer.pk).return_value
    assert out["status"] == "error" and "五原县" in out["message"] and "超出您的管辖范围" in out["message"]
    assert engine == [] and not (var_dir / "reports").exists()
    ev = AuditEvent.objects.get(actor_id=officer.pk, event_type="export")
    assert ev.outcome == "denied" and "超出" in ev.reason


@pytest.mark.parametrize("role", ["inspector", "operator", "auditor"])
def test_task_refuses_roles_without_indicator_export(plan, users, engine, var_dir, role):
    out = report.generate_annual_report.enqueue(plan.pk, "150800", 2023, users[role].pk).return_value
    assert out == {"status": "error", "progress": 0, "message": "您的角色没有导出指标报告的权限"}
    assert engine == [] and not (var_dir / "reports").exists()


@pytest.mark.parametrize(("year", "message"), [("20x3", "年份“20x3”不是有效的四位年份"),
                                               (1999, "年份 1999 超出范围")])
def test_task_refuses_bad_year(plan, users, engine, var_dir, year, message):
    out = report.generate_annual_report.enqueue(plan.pk, "150800", year, users["civil_affairs"].pk).return_value
    assert out["status"] == "error" and message in out["message"]
    assert engine == []


def test_task_refuses_unknown_plan_region_and_user(plan, users, engine, var_dir):
    ca = users["civil_affairs"]
    out = report.generate_annual_report.enqueue("no-such-plan", "150800", 2023, ca.pk).return_value
    assert "规划“no-such-plan”不存在" in out["message"]
    out = report.generate_annual_report.enqueue(plan.pk, "159999", 2023, ca.pk).return_value
    assert "区划代码“159999”不存在" in out["message"]
    out = report.generate_annual_report.enqueue(plan.pk, "150800", 2023, 987654).return_value
    assert out["message"] == "用户不存在或已停用，不能生成报告"
    assert engine == []


def test_task_refuses_region_outside_plan(plan, users, engine, var_dir, tree):
    from ylyx.accounts.models import User

    ca = users["civil_affairs"]
    User.objects.filter(pk=ca.pk).update(region=tree["province"])  # may see 赤峰, but the plan is 巴彦淖尔's
    out = report.generate_annual_report.enqueue(plan.pk, "150400", 2023, ca.pk).return_value
    assert out["status"] == "error" and "不在规划" in out["message"]
    assert engine == []


def test_engine_value_error_becomes_message(plan, users, var_dir, monkeypatch):
    def failing(plan, region_code, on, with_breakdown=True):
        raise ValueError("区划“临河区”不在规划范围内")

    monkeypatch.setattr(report, "plan_table_function", lambda: failing)
    out = report.generate_annual_report.enqueue(plan.pk, "150800", 2023, users["civil_affairs"].pk).return_value
    assert out["status"] == "error" and out["message"] == "区划“临河区”不在规划范围内"


def test_command_prints_paths(plan, engine, tmp_path):
    buf = io.StringIO()
    call_command("report", plan="bayannur-2021", region="150800", year="2023", out=str(tmp_path), stdout=buf)
    lines = buf.getvalue().split()
    assert lines == [str(tmp_path / "bayannur-2021-150800000000-2023.pdf"),
                     str(tmp_path / "bayannur-2021-150800000000-2023.xlsx")]
    assert all(Path(p).stat().st_size > 0 for p in lines)
    assert AuditEvent.objects.filter(event_type="export", actor_id=None, object_id=str(plan.pk)).exists()


def test_command_refusals_are_chinese_errors(plan, users, engine, tmp_path):
    with pytest.raises(CommandError, match="区划代码“990000”不存在"):
        call_command("report", plan=str(plan.pk), region="990000", year="2023", out=str(tmp_path))
    with pytest.raises(CommandError, match="超出您的管辖范围"):
        call_command("report", plan=str(plan.pk), region="150821", year="2023", out=str(tmp_path),
                     user=users["county_officer"].username)
    with pytest.raises(CommandError, match="没有导出指标报告的权限"):
        call_command("report", plan=str(plan.pk), region="150800", year="2023", out=str(tmp_path),
                     user=users["inspector"].username)
    assert engine == [] and not list(tmp_path.iterdir())
