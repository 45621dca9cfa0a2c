"""Checks on an uploaded file before any XML is parsed (security.md DJ-11, ASVS V5.2.1–V5.2.3).

Order matters: cheap checks first (name, size), then the ZIP's central directory (member count and
declared uncompressed size: ``zipfile`` never inflates a member past its declared size, it fails the CRC
instead), then the package structure and macros. Only a file that passes all of them reaches openpyxl.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
WRONG_EXTENSIONS = {
    ".xlsm": "不接受启用宏的工作簿（.xlsm），请在 Excel 中另存为“Excel 工作簿（*.xlsx）”后重新上传",
    ".xltm": "不接受启用宏的模板（.xltm），请另存为 .xlsx 后重新上传",
    ".xlsb": "不支持二进制工作簿（.xlsb），请另存为 .xlsx 后重新上传",
    ".xls": "不支持 Excel 97-2003 格式（.xls），请在 Excel 中另存为 .xlsx 后重新上传",
    ".csv": "不支持 CSV 文件：CSV 会丢失身份证号等文本格式，请使用导入模板（.xlsx）",
    ".et": "不支持 WPS 表格格式（.et），请另存为 .xlsx 后重新上传",
}


class UnsafeFile(Exception):
    """The file is refused before parsing; the message is shown to the user as is."""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def private_dir() -> Path:
    path = Path(settings.PRIVATE_TMP_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def new_private_name() -> str:
    return f"{secrets.token_hex(16)}.xlsx"


def private_path(name: str) -> Path:
    """Resolve a stored name inside the private area; names are ours (hex), never the user's file name."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("bad stored name")
    return private_dir() / name


@dataclass
class StoredFile:
    name: str
    size: int
    sha256: str
    too_big: bool


def open_private(name: str) -> int:
    return os.open(private_path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def store_stream(src: IO[bytes], limit: int | None = None) -> StoredFile:
    """Copy an upload into the private area, hashing as it goes; past the limit keep hashing, stop writing."""
    limit = settings.IMPORT_MAX_FILE_BYTES if limit is None else limit
    name = new_private_name()
    sha = hashlib.sha256()
    size = 0
    fd = open_private(name)
    try:
        while True:
            chunk = src.read(1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            sha.update(chunk)
            if size <= limit:
                os.write(fd, chunk)
    finally:
        os.close(fd)
    return StoredFile(name=name, size=size, sha256=sha.hexdigest(), too_big=size > limit)


def delete_private(name: str) -> None:
    """Overwrite, then unlink (SEC-RI-2); a missing file is fine."""
    if not name:
        return
    try:
        path = private_path(name)
        size = path.stat().st_size
    except (FileNotFoundError, ValueError):
        return
    try:
        with open(path, "r+b") as fh:
            block = b"\0" * (1024 * 1024)
            left = size
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= len(block)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def check_name(file_name: str) -> None:
    ext = Path(file_name or "").suffix.lower()
    if ext in WRONG_EXTENSIONS:
        raise UnsafeFile(WRONG_EXTENSIONS[ext])
    if ext != ".xlsx":
        raise UnsafeFile(f"只接受 Excel 工作簿（.xlsx）文件，上传的文件扩展名为“{ext[:10] or '无'}”")


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise UnsafeFile(f"文件大小 {_mb(size)} 超过上限 {_mb(limit)}，请拆分后分批导入")
    if size == 0:
        raise UnsafeFile("上传的文件是空文件")


def check_package(path: Path) -> None:
    """The content must be an xlsx package of bounded size without macros (extension and content agree)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        raise UnsafeFile("文件是 Excel 97-2003 格式或设置了打开密码，请取消密码并另存为 .xlsx 后重新上传")
    if not zipfile.is_zipfile(path):
        raise UnsafeFile("文件内容不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件，已拒绝")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise UnsafeFile("文件已损坏，无法作为 Excel 工作簿读取") from None
    max_members = settings.IMPORT_MAX_ZIP_MEMBERS
    if len(infos) > max_members:
        raise UnsafeFile(f"文件包含 {len(infos)} 个部件，超过上限 {max_members}，不是正常的 Excel 工作簿，已拒绝")
    total = sum(i.file_size for i in infos)
    max_total = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    if total > max_total:
        raise UnsafeFile(f"文件解压后大小 {_mb(total)} 超过上限 {_mb(max_total)}（疑似压缩炸弹），已拒绝；"
                         "如为正常数据，请拆分后分批导入")
    names = {i.filename for i in infos}
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeFile("文件已加密，请取消密码保护后重新上传")
        if info.filename.lower().endswith("vbaproject.bin"):
            raise UnsafeFile("工作簿包含宏（VBA），已拒绝；请另存为不含宏的 Excel 工作簿（.xlsx）后重新上传")
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        raise UnsafeFile("文件不是有效的 Excel 工作簿（缺少 " + "、".join(missing) + "），请使用 Excel 或 WPS 另存为 .xlsx")
    # A renamed macro part still has to be declared in the content types; a byte search needs no XML parser.
    try:
        with zipfile.ZipFile(path) as zf:
            content_types = zf.read("[Content_Types].xml").lower()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise UnsafeFile("文件已损坏，无法作为 Excel 工作簿读取") from None
    if b"macroenabled" in content_types or b"vbaproject" in content_types:
        raise UnsafeFile("工作簿包含宏（VBA），已拒绝；请另存为不含宏的 Excel 工作簿（.xlsx）后重新上传")


def check_file(path: Path, file_name: str, size: int) -> None:
    check_name(file_name)
    check_size(size)
    check_package(path)
