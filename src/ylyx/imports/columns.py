"""Column declarations and cell parsers: a cell value from the reader in, a Python value or a Chinese error out.

Identity-like columns (身份证号, 统一社会信用代码) must arrive as text. A number cell there has already lost
digits to Excel's 15 significant digits, so it is an error, never repaired (security.md ID-6).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from openpyxl.utils.datetime import from_excel

from ylyx.core.mask import mask_id_number
from ylyx.core.validators import IdInfo, normalise, validate_id_number, validate_phone, validate_uscc

from .reader import CellError

ID_AS_NUMBER = "身份证号被 Excel 转为数字，请将该列设置为文本格式后重新导出"
USCC_AS_NUMBER = "统一社会信用代码被 Excel 转为数字，请将该列设置为文本格式后重新导出"
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class CellInvalid(Exception):
    """A cell's value is refused; the message names what is wrong, the report adds row and column."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text id_number uscc region phone choice bool int decimal float date
    required: bool = False
    max_length: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, label shown in Excel)
    min_value: float | None = None
    max_value: float | None = None
    places: int = 0  # decimal places for "decimal"
    help: str = ""
    example: Any = None

    @property
    def is_text(self) -> bool:
        """Columns the template formats as text ("@") so Excel keeps leading zeros and all 18 digits."""
        return self.kind in ("text", "id_number", "uscc", "region", "phone", "choice")

    @property
    def format_hint(self) -> str:
        return {
            "text": f"文本{f'，不超过 {self.max_length} 个字' if self.max_length else ''}",
            "id_number": "18 位公民身份号码，单元格须为文本格式",
            "uscc": "18 位统一社会信用代码，单元格须为文本格式",
            "region": "6、9 或 12 位行政区划代码，须在您的管辖范围内",
            "phone": "11 位手机号或带区号的固定电话",
            "choice": "从下列选项中选择",
            "bool": "是 / 否",
            "int": "非负整数",
            "decimal": f"数字，最多 {self.places} 位小数",
            "float": "数字",
            "date": "日期，如 2024-01-31",
        }[self.kind]

    def labels(self) -> list[str]:
        return [label for _, label in self.choices]


def header_key(text: Any) -> str:
    """Headers match after dropping spaces and a trailing required mark (姓名* / 姓名（必填）)."""
    s = normalise(str(text or ""))
    s = s.replace("（必填）", "").replace("(必填)", "")
    return s.rstrip("*＊")


LONG_DIGITS = re.compile(r"\d{15,}[\dXx]?")


def echo(value: Any, n: int = 20) -> str:
    """A user's value quoted back in a message: shortened, and anything ID-like masked (PI-5)."""
    s = str(value)
    s = s if len(s) <= n else s[:n] + "…"
    return LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), s)


def _as_text(value: Any) -> str:
    if type(value) is str:  # the common case, first
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _digits_from_number(value: Any) -> str | None:
    """Region codes and phone numbers fit in 15 digits, so a number cell still holds them exactly."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return None


def parse_id_number(value: Any) -> IdInfo:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellInvalid(ID_AS_NUMBER)
    try:
        return validate_id_number(str(value))
    except ValidationError as e:
        raise CellInvalid(e.messages[0]) from None


def parse_uscc(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellInvalid(USCC_AS_NUMBER)
    text = str(value)
    if re.fullmatch(r"\s*\d(\.\d+)?E\+?\d+\s*", text, re.I):
        raise CellInvalid(USCC_AS_NUMBER)
    try:
        return validate_uscc(text)
    except ValidationError as e:
        raise CellInvalid(e.messages[0]) from None


def parse_region(value: Any) -> str:
    text = _digits_from_number(value)
    if text is None:
        text = normalise(str(value))
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", text):
        raise CellInvalid("行政区划代码应为 6、9 或 12 位数字")
    return text.ljust(12, "0")


def parse_phone(value: Any) -> str:
    text = _digits_from_number(value) or str(value)
    try:
        return validate_phone(text)
    except ValidationError as e:
        raise CellInvalid(e.messages[0]) from None


def _choice_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip().lower()


@lru_cache(maxsize=64)
def _choice_lookup(choices: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Labels and stored values, both normalised, to the stored value: one dict lookup per cell."""
    out = {}
    for stored, label in reversed(choices):
        out[_choice_key(stored)] = stored
        out[_choice_key(label)] = stored
    return out


def parse_choice(value: Any, col: Column, lookup: dict[str, str] | None = None) -> str:
    text = _as_text(value)
    if lookup is None:
        lookup = _choice_lookup(col.choices)
    stored = lookup.get(text)
    if stored is None:
        stored = lookup.get(_choice_key(text))
    if stored is not None:
        return stored
    shown = "、".join(col.labels())
    raise CellInvalid(f"“{echo(text)}”不是有效的选项，可选：{shown}")


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalise(_as_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellInvalid("应填写“是”或“否”")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime)):
        raise CellInvalid("应为数字")
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellInvalid("应为数字") from None
    if not d.is_finite():
        raise CellInvalid("应为数字")
    return d


def _range(col: Column, d: Decimal) -> None:
    if col.min_value is not None and d < Decimal(str(col.min_value)):
        raise CellInvalid(f"不能小于 {col.min_value:g}")
    if col.max_value is not None and d > Decimal(str(col.max_value)):
        raise CellInvalid(f"不能大于 {col.max_value:g}")


def parse_int(value: Any, col: Column) -> int:
    d = _number(value)
    if d != d.to_integral_value():
        raise CellInvalid("应为整数")
    _range(col, d)
    return int(d)


def parse_decimal(value: Any, col: Column) -> Decimal:
    d = _number(value)
    _range(col, d)
    # Stored with the model's decimal places, so re-importing the same value compares equal.
    return d.quantize(Decimal(1).scaleb(-col.places), rounding=ROUND_HALF_UP)


def parse_float(value: Any, col: Column) -> float:
    d = _number(value)
    _range(col, d)
    return float(d)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int) and 19000101 <= value <= 21001231:
            value = str(value)
        elif 1 <= value < 2958466:
            # A date typed into a cell formatted as a number: Excel's serial day count.
            return from_excel(value).date()
        else:
            raise CellInvalid("不是有效的日期，请填写如 2024-01-31 的日期")
    text = normalise(str(value))
    for fmt in DATE_FORMATS:
        try:
            d = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if d.year < 1900:
            raise CellInvalid("日期早于 1900 年，请核对")
        return d
    raise CellInvalid("不是有效的日期，请填写如 2024-01-31 的日期")


def parse_text(value: Any, col: Column) -> str:
    text = _as_text(value)
    if col.max_length and len(text) > col.max_length:
        raise CellInvalid(f"长度不能超过 {col.max_length} 个字（现为 {len(text)} 个）")
    return text


def parse_cell(col: Column, value: Any) -> Any:
    """Parse a non-blank cell; blanks are handled by the caller (required / default)."""
    return parser_for(col)(value)


PARSERS: dict[str, Any] = {
    "text": parse_text,
    "id_number": lambda value, col: parse_id_number(value),
    "uscc": lambda value, col: parse_uscc(value),
    "region": lambda value, col: parse_region(value),
    "phone": lambda value, col: parse_phone(value),
    "choice": parse_choice,
    "bool": lambda value, col: parse_bool(value),
    "int": parse_int,
    "decimal": parse_decimal,
    "float": parse_float,
    "date": lambda value, col: parse_date(value),
}


def parser_for(col: Column):
    """The cell parser of a column, looked up once per column rather than once per cell."""
    try:
        fn = PARSERS[col.kind]
    except KeyError:
        raise ValueError(f"unknown column kind {col.kind}") from None
    if col.kind == "choice":
        lookup = _choice_lookup(col.choices)

        def fn(value: Any, col: Column) -> Any:
            return parse_choice(value, col, lookup)

    def parse(value: Any) -> Any:
        if isinstance(value, CellError):
            raise CellInvalid(f"单元格为错误值 {value.code}，请改为实际数据")
        return fn(value, col)

    return parse


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
