"""Hostile and wrong files are refused before parsing, with a Chinese message, and leave no temp file (DJ-11)."""

import zipfile

import pytest

from ylyx.audit.models import AuditEvent
from ylyx.imports import services
from ylyx.imports.models import ImportBatch, Status
from ylyx.people.models import ElderlyPerson

from .fixtures.workbooks import (
    BILLION_LAUGHS,
    ELDERLY_HEADERS,
    elderly_rows,
    minimal_package,
    write_xlsx,
    zip_bomb,
    zip_bytes,
)


def upload(user, path, resource="elderly", **kw):
    with open(path, "rb") as fh:
        return services.create_batch(user, fh, resource, **kw)


def assert_refused(batch, private_tmp, *fragments):
    assert batch.status == Status.REJECTED
    for f in fragments:
        assert f in batch.message, batch.message
    assert batch.stored_name == ""
    assert not any(private_tmp.iterdir()), "the uploaded file must be deleted"
    assert ElderlyPerson.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="import_rejected", object_id=str(batch.pk)).exists()


def test_oversized_file(users, tmp_path, private_tmp, settings):
    path = write_xlsx(tmp_path / "big.xlsx", ELDERLY_HEADERS, elderly_rows(50))
    settings.IMPORT_MAX_FILE_BYTES = 2000
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "超过上限", "拆分")
    assert batch.size == path.stat().st_size  # hashed and measured in full, stored only up to the limit


def test_renamed_exe(users, tmp_path, private_tmp):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 4000 + b"This program cannot be run in DOS mode")
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "不是 Excel 工作簿", "改了扩展名")


def test_exe_extension(users, tmp_path, private_tmp):
    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1))
    exe = tmp_path / "setup.exe"
    exe.write_bytes(path.read_bytes())
    batch = upload(users["county_officer"], exe)
    assert_refused(batch, private_tmp, "只接受 Excel 工作簿（.xlsx）", ".exe")


@pytest.mark.parametrize("ext,fragment", [(".xls", "97-2003"), (".csv", "CSV"), (".xlsm", "启用宏")])
def test_wrong_extensions(users, tmp_path, private_tmp, ext, fragment):
    path = tmp_path / f"data{ext}"
    path.write_bytes(b"whatever")
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, fragment)


def test_zip_bomb(users, tmp_path, private_tmp, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
    path = zip_bomb(tmp_path / "bomb.xlsx", 200 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024  # small on disk, 200 MB inflated
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "解压后大小", "压缩炸弹")


def test_too_many_members(users, tmp_path, private_tmp, settings):
    settings.IMPORT_MAX_ZIP_MEMBERS = 20
    parts = minimal_package({f"xl/media/pad{i}.bin": b"x" for i in range(30)})
    path = tmp_path / "many.xlsx"
    path.write_bytes(zip_bytes(parts))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "部件", "超过上限")


def test_macro_workbook_disguised_as_xlsx(users, tmp_path, private_tmp):
    parts = minimal_package({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake vba"})
    path = tmp_path / "report.xlsx"
    path.write_bytes(zip_bytes(parts))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "包含宏")


def test_macro_declared_only_in_content_types(users, tmp_path, private_tmp):
    parts = minimal_package()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
    path = tmp_path / "report.xlsx"
    path.write_bytes(zip_bytes(parts))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "包含宏")


def test_zip_without_workbook(users, tmp_path, private_tmp):
    path = tmp_path / "notes.xlsx"
    path.write_bytes(zip_bytes({"readme.txt": b"hello"}))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "不是有效的 Excel 工作簿", "xl/workbook.xml")


def test_old_or_encrypted_ole_file(users, tmp_path, private_tmp):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "97-2003", "密码")


def test_billion_laughs_shared_strings(users, tmp_path, private_tmp):
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(zip_bytes(minimal_package(shared_strings=BILLION_LAUGHS)))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "不安全的 XML")


def test_entity_declaration_in_worksheet(users, tmp_path, private_tmp):
    sheet = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "姓名">]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>').encode()
    path = tmp_path / "entity.xlsx"
    path.write_bytes(zip_bytes(minimal_package({"xl/worksheets/sheet1.xml": sheet})))
    batch = upload(users["county_officer"], path)
    assert_refused(batch, private_tmp, "不安全的 XML")


def test_corrupt_member_is_a_clear_error(users, tmp_path, private_tmp):
    good = write_xlsx(tmp_path / "good.xlsx", ELDERLY_HEADERS, elderly_rows(3))
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + 60):
        data[i] ^= 0xFF
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    batch = upload(users["county_officer"], bad)
    assert batch.status == Status.REJECTED
    assert "损坏" in batch.message
    assert not any(private_tmp.iterdir())


def test_the_worker_survives_and_a_good_file_follows(users, tmp_path, private_tmp):
    """After every hostile file above, the same process still imports a good one."""
    bomb = zip_bytes(minimal_package(shared_strings=BILLION_LAUGHS))
    (tmp_path / "x.xlsx").write_bytes(bomb)
    assert upload(users["county_officer"], tmp_path / "x.xlsx").status == Status.REJECTED
    good = write_xlsx(tmp_path / "good.xlsx", ELDERLY_HEADERS, elderly_rows(3))
    batch = upload(users["county_officer"], good)
    assert batch.status == Status.VALIDATED, batch.message
    assert ImportBatch.objects.count() == 2
