"""The workbook reader and header mapping: cell types, example and blank rows, header problems."""

import datetime as dt

from openpyxl import Workbook

from ylyx.imports.models import Status
from ylyx.imports.reader import CellError, open_workbook

from .fixtures.workbooks import ELDERLY_HEADERS, elderly_rows, write_xlsx
from .helpers import issues, upload


def test_reader_returns_typed_values_from_shared_and_inline_strings(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["文本", "整数", "小数", "日期", "布尔", "公式"])
    ws.append(["王秀英", 150802001001, 1.5, dt.date(2024, 1, 31), True, "=1+1"])
    ws["A3"] = "第三行"
    path = tmp_path / "t.xlsx"
    wb.save(path)  # the normal writer uses shared strings
    with open_workbook(path) as reader:
        rows = list(reader.rows())
        assert reader.estimate_rows() == 3
    assert rows[0] == (1, {1: "文本", 2: "整数", 3: "小数", 4: "日期", 5: "布尔", 6: "公式"})
    number, cells = rows[1]
    assert number == 2
    assert cells[1] == "王秀英" and cells[2] == 150802001001 and isinstance(cells[2], int)
    assert cells[3] == 1.5 and cells[4] == dt.datetime(2024, 1, 31) and cells[5] is True
    assert 6 not in cells, "a formula without a cached value is empty: formulas are never evaluated"
    assert rows[2] == (3, {1: "第三行"})


def test_error_cells_are_reported(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(ELDERLY_HEADERS)
    row = elderly_rows(1)[0]
    ws.append(row)
    ws["E2"].value = "#N/A"
    ws["E2"].data_type = "e"
    path = tmp_path / "e.xlsx"
    wb.save(path)
    with open_workbook(path) as reader:
        cells = list(reader.rows())[1][1]
    assert cells[5] == CellError("#N/A")


def test_example_and_blank_rows_are_skipped_and_row_numbers_kept(users, tmp_path):
    rows = elderly_rows(3)
    rows.insert(0, ["【示例】王秀英", "11010519491231002X", "女", None, "150802", None, None, None, None, None])
    rows.insert(2, [None] * 10)
    rows[3][4] = "150802999999"   # Excel row 5
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert batch.rows_total == 3
    assert issues(batch) == {(5, "行政区划代码")}


def test_missing_required_column_rejects_the_file(users, tmp_path):
    headers = [h for h in ELDERLY_HEADERS if h != "身份证号"]
    rows = [r[:1] + r[2:] for r in elderly_rows(2)]
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", headers, rows))
    assert batch.status == Status.REJECTED
    assert batch.message.startswith("缺少必填列：身份证号")


def test_wrong_template_and_empty_file(users, tmp_path):
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ["机构名称", "床位数"], [["某院", 3]]))
    assert batch.status == Status.REJECTED and "不是老年人导入模板的表头" in batch.message
    empty = upload(users["county_officer"], write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, []))
    assert empty.status == Status.REJECTED and "没有数据行" in empty.message


def test_unknown_columns_are_ignored_with_a_note_and_optional_columns_may_be_dropped(users, tmp_path):
    headers = ["姓名*", "身份证号（必填）", "行政区划代码", "备注"]
    rows = [[r[0], r[1], r[4], "随便写"] for r in elderly_rows(2)]
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", headers, rows))
    assert batch.status == Status.VALIDATED, batch.message
    notes = list(batch.issues.values_list("row", "level", "message"))
    assert notes == [(1, "warning", "未识别的列“备注”，已忽略")]


def test_row_limit(users, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(30)))
    assert batch.status == Status.REJECTED
    assert "超过单次导入上限 3 行" in batch.message


def test_dates_in_several_spellings(users, tmp_path):
    rows = elderly_rows(5)
    headers = ELDERLY_HEADERS + ["登记日期"]
    for row, value in zip(rows, ["2024-01-31", "2024/1/31", "20240131", 45322, "2024年1月31日"], strict=True):
        row.append(value)
    rows.append(elderly_rows(1, start=40)[0] + ["31/01/2024"])
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", headers, rows))
    assert issues(batch) == {(7, "登记日期")}


def test_openpyxl_runs_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_without_defusedxml_the_reader_fails_closed(tmp_path, monkeypatch):
    import openpyxl
    import pytest

    from ylyx.imports.reader import BadWorkbook

    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1))
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(BadWorkbook, match="defusedxml"):
        open_workbook(path)
