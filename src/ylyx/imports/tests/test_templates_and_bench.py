"""Downloadable templates and the benchmark workbook generator."""

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from ylyx.imports import bench_support
from ylyx.imports.models import Status
from ylyx.imports.specs import SPECS
from ylyx.imports.workbooks import template_workbook

from .helpers import upload


@pytest.mark.parametrize("resource", list(SPECS))
def test_template_layout(users, resource):
    user = users["county_officer"]
    spec = SPECS[resource]
    buf = io.BytesIO()
    template_workbook(spec, user).save(buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["数据", "说明"]
    ws = wb["数据"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header + ("*" if c.required else "") for c in spec.columns]
    for i, col in enumerate(spec.columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        if col.kind in ("id_number", "uscc", "region"):
            assert ws.column_dimensions[letter].number_format == "@", col.header
            if ws.cell(row=2, column=i).value is not None:
                assert ws.cell(row=2, column=i).number_format == "@"
                assert isinstance(ws.cell(row=2, column=i).value, str)
    assert str(ws["A2"].value).startswith("【示例】")
    info = wb["说明"]
    text = "\n".join(str(c.value) for row in info.iter_rows() for c in row if c.value is not None)
    assert "身份证号" in text or resource == "institution"
    assert "150802001001" in text and "演示社区一" in text, "allowed region codes of the user's scope"
    assert "150821" not in text, "regions outside the scope are not listed"
    for col in spec.columns:
        for label in col.labels():
            assert label in text


def test_template_example_row_is_skipped_on_import(users, tmp_path):
    path = tmp_path / "t.xlsx"
    template_workbook(SPECS["elderly"], users["county_officer"]).save(path)
    batch = upload(users["county_officer"], path)
    assert batch.status == Status.REJECTED and "没有数据行" in batch.message


@pytest.mark.parametrize("resource,role", [("elderly", "county_officer"), ("infant", "county_officer"),
                                           ("practitioner", "county_officer"), ("institution", "civil_affairs")])
def test_bench_workbook_is_valid(users, tree, tmp_path, resource, role):
    path = bench_support.make_workbook(resource, 40, ["150802001001", "150802001", "150802"], tmp_path / "b.xlsx")
    with zipfile.ZipFile(path) as zf:
        assert "xl/worksheets/sheet1.xml" in zf.namelist()
    batch = upload(users[role], path, resource)
    assert batch.status == Status.VALIDATED, list(batch.issues.values_list("row", "column", "message")[:5])
    assert (batch.rows_total, batch.rows_new, batch.rows_rejected) == (40, 40, 0)


def test_bench_ids_are_unique_and_valid_at_scale():
    from ylyx.core.validators import validate_id_number

    ids = {bench_support.synthetic_id("150802", i, dt.date(1930, 1, 1), 12000) for i in range(30000)}
    assert len(ids) == 30000
    for number in list(ids)[:200]:
        validate_id_number(number)
