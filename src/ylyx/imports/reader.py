"""Stream the rows of an already checked .xlsx, cached values only: formulas and macros are never evaluated.

openpyxl (``read_only=True, data_only=True``, defusedxml installed) reads the workbook parts: the package
manifest, shared strings, sheet list and styles (to know which number formats are dates). The data sheet
itself is streamed by a small hardened expat reader, because openpyxl's row iterator builds an element
tree per cell and first scans the whole sheet for its size when the file carries no ``<dimension>``:
about 20 s for 100,000 rows, against about 4 s here. The reader refuses any DTD or entity declaration, which
is how billion-laughs and external-entity attacks start.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel

CHUNK = 256 * 1024
CELL_REF = re.compile(r"([A-Z]{1,3})(\d*)$")
DIGITS = "0123456789"


class BadWorkbook(Exception):
    """The workbook cannot be read safely; the message is shown to the user."""


class UnsafeXml(BadWorkbook):
    pass


@dataclass(frozen=True)
class CellError:
    """An Excel error value such as #N/A or #REF! in a cell."""

    code: str

    def __str__(self) -> str:
        return self.code


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _refuse(*_args: Any) -> NoReturn:
    raise UnsafeXml("文件包含不安全的 XML 内容（DTD 或实体定义），已拒绝")


class _SheetParser:
    """expat callbacks collecting rows as {column index: value}; one instance per sheet stream."""

    def __init__(self, shared: list[str], date_styles: set[int], td_styles: set[int], epoch: dt.datetime):
        self.shared = shared
        self.date_styles = date_styles
        self.td_styles = td_styles
        self.epoch = epoch
        self.rows: list[tuple[int, dict[int, Any]]] = []
        self.row_no = 0
        self.cells: dict[int, Any] | None = None
        self.col = 0
        self.ctype = "n"
        self.style = 0
        self.text: list[str] = []
        self.collect = False
        self.in_is = False
        self.in_rph = False
        self.value: str | None = None
        self.columns: dict[str, int] = {}  # column letters -> index (0: not a valid reference)
        p = expat.ParserCreate()
        p.buffer_text = True
        p.buffer_size = 65536
        p.StartDoctypeDeclHandler = _refuse
        p.EntityDeclHandler = _refuse
        p.UnparsedEntityDeclHandler = _refuse
        p.ExternalEntityRefHandler = _refuse
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.data
        self.parser = p

    # The handlers run three times per cell (about 3 million calls for 100,000 rows), so they test the
    # frequent tags first and look column letters up in a cache instead of a regex per cell.

    def column_of(self, ref: str | None) -> int:
        """The column of a cell reference such as "AB12"; 0 when it is missing or malformed."""
        if not ref:
            return 0
        letters = ref.rstrip(DIGITS)
        col = self.columns.get(letters)
        if col is None:
            m = CELL_REF.match(ref)
            col = self.columns[letters] = column_index(m.group(1)) if m else 0
        return col

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(":")[2] if ":" in name else name
        if tag == "c":
            self.col = self.column_of(attrs.get("r")) or self.col + 1
            self.ctype = attrs.get("t", "n")
            s = attrs.get("s")
            self.style = int(s) if s else 0
            self.value = None
        elif tag == "t":
            if self.in_is and not self.in_rph:
                self.collect = True
        elif tag == "v":
            self.text = []
            self.collect = True
        elif tag == "is":
            self.in_is = True
            self.text = []
        elif tag == "rPh":
            self.in_rph = True
        elif tag == "row":
            r = attrs.get("r")
            self.row_no = int(r) if r and r.isdigit() else self.row_no + 1
            self.cells = {}
            self.col = 0

    def data(self, text: str) -> None:
        if self.collect:
            self.text.append(text)

    def end(self, name: str) -> None:
        tag = name.rpartition(":")[2] if ":" in name else name
        if tag == "c":
            if self.cells is not None and self.value is not None:
                v = self.convert(self.value)
                if v is not None and v != "":
                    self.cells[self.col] = v
        elif tag == "t":
            self.collect = False
        elif tag == "v":
            self.collect = False
            self.value = "".join(self.text)
        elif tag == "is":
            self.in_is = False
            self.value = "".join(self.text)
        elif tag == "rPh":
            self.in_rph = False
        elif tag == "row":
            if self.cells:
                self.rows.append((self.row_no, self.cells))
            self.cells = None

    def convert(self, raw: str) -> Any:
        t = self.ctype
        if t == "s":
            try:
                return self.shared[int(raw)]
            except (ValueError, IndexError):
                return CellError("#共享字符串缺失")
        if t in ("inlineStr", "str"):
            return raw
        if t == "b":
            return raw.strip() in ("1", "true")
        if t == "e":
            return CellError(raw)
        if t == "d":
            try:
                return dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
            except ValueError:
                return raw
        raw = raw.strip()
        if raw == "":
            return None
        try:
            num: int | float = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
        except ValueError:
            return raw
        if self.style in self.date_styles:
            try:
                return from_excel(num, self.epoch)
            except (ValueError, OverflowError):
                return num
        if self.style in self.td_styles:
            try:
                return from_excel(num, self.epoch, timedelta=True)
            except (ValueError, OverflowError):
                return num
        return num


class WorkbookReader:
    """Open with :func:`open_workbook`; iterate :meth:`rows` for (Excel row number, {column: value})."""

    def __init__(self, path: Path, sheet_name: str | None = "数据"):
        if not openpyxl.DEFUSEDXML:
            # Fail closed: without defusedxml openpyxl parses entity declarations (billion laughs).
            raise BadWorkbook("服务器缺少 defusedxml 组件，暂不能导入 Excel，请联系管理员")
        try:
            reader = ExcelReader(str(path), read_only=True, data_only=True, keep_links=False)
        except (zipfile.BadZipFile, OSError, ValueError, KeyError) as e:
            raise BadWorkbook("无法打开该 Excel 文件，文件可能已损坏") from e
        self._reader = reader
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheets = [(s, rel) for s, rel in reader.parser.find_sheets()
                      if "chartsheet" not in rel.Type and rel.target in reader.valid_files]
        except DefusedXmlException as e:
            self.close()
            raise UnsafeXml("文件包含不安全的 XML 内容（DTD 或实体定义），已拒绝") from e
        except BadWorkbook:
            self.close()
            raise
        except Exception as e:  # openpyxl raises many types on malformed parts
            self.close()
            raise BadWorkbook("无法读取该 Excel 文件：文件已损坏或不是由 Excel/WPS 生成，请另存为 .xlsx 后重试") from e
        if not sheets:
            self.close()
            raise BadWorkbook("工作簿中没有工作表")
        chosen = next((x for x in sheets if x[0].name == sheet_name), sheets[0])
        self.sheet_title = chosen[0].name
        self.sheet_path = chosen[1].target
        self.shared = list(reader.shared_strings)
        self.date_styles = set(reader.wb._date_formats)
        self.td_styles = set(reader.wb._timedelta_formats)
        self.epoch = reader.wb.epoch

    def close(self) -> None:
        try:
            self._reader.archive.close()
        except Exception:  # noqa: S110 - closing a broken archive must not mask the real error
            pass

    def __enter__(self) -> WorkbookReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def estimate_rows(self) -> int:
        """Count ``<row`` tags without parsing: a cheap total for the progress bar and the row limit."""
        n = 0
        tail = b""
        try:
            with self._reader.archive.open(self.sheet_path) as src:
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    buf = tail + chunk
                    n += buf.count(b"<row ") + buf.count(b"<row>")
                    # A 4-byte tail cannot hold a whole 5-byte match, so nothing is counted twice.
                    tail = buf[-4:]
        except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as e:
            raise BadWorkbook("文件已损坏，无法读取工作表数据") from e
        return n

    def rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        sp = _SheetParser(self.shared, self.date_styles, self.td_styles, self.epoch)
        try:
            with self._reader.archive.open(self.sheet_path) as src:
                while True:
                    chunk = src.read(CHUNK)
                    final = not chunk
                    sp.parser.Parse(chunk, final)
                    if sp.rows:
                        yield from sp.rows
                        sp.rows = []
                    if final:
                        break
        except UnsafeXml:
            raise
        except expat.ExpatError as e:
            raise BadWorkbook(f"工作表 XML 格式错误（第 {e.lineno} 行），文件可能已损坏") from e
        except (zipfile.BadZipFile, OSError, zlib.error, EOFError, ParseError) as e:
            raise BadWorkbook("文件已损坏，无法读取工作表数据") from e


def open_workbook(path: Path) -> WorkbookReader:
    return WorkbookReader(path)
