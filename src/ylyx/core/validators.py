"""Validation of 公民身份号码 (GB 11643), 统一社会信用代码 (GB 32100) and region codes, with Chinese messages.

The checksums come from python-stdnum; its ``ric.validate`` also checks the birthplace against a bundled
location list, which rejects valid old numbers (security.md ID-5), so only the checksum part is used.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
}
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.I)


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    sex: str  # "M" / "F"


def normalise(raw: str) -> str:
    return unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").upper()


def validate_id_number(raw: str, today: dt.date | None = None) -> IdInfo:
    """Return the normalised number with birth date and sex, or raise ValidationError in Chinese."""
    n = normalise(raw)
    if SCIENTIFIC.match(n):
        raise ValidationError("身份证号被 Excel 转为数字，请将该列设置为文本格式后重新导出", code="numeric")
    if not re.fullmatch(r"\d{17}[\dX]", n):
        raise ValidationError("身份证号格式错误：应为 18 位，前 17 位为数字，末位为数字或 X", code="format")
    if n[:2] not in PROVINCES:
        raise ValidationError("身份证号前两位不是有效的省级行政区划代码", code="region")
    try:
        born = dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期不存在", code="birth_date") from None
    if born > (today or dt.date.today()):
        raise ValidationError("身份证号中的出生日期晚于今天", code="birth_date")
    try:
        if id_check_char(n[:17]) != n[17]:
            raise InvalidChecksum()
    except StdnumError:
        raise ValidationError("身份证号校验位错误，请核对号码", code="checksum") from None
    return IdInfo(number=n, birth_date=born, sex="M" if int(n[16]) % 2 else "F")


def validate_uscc(raw: str) -> str:
    n = normalise(raw)
    try:
        return uscc.validate(n)
    except InvalidLength:
        raise ValidationError("统一社会信用代码应为 18 位", code="length") from None
    except (InvalidFormat, InvalidComponent):
        raise ValidationError("统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）", code="format") from None
    except InvalidChecksum:
        raise ValidationError("统一社会信用代码校验位错误", code="checksum") from None
    except StdnumError:
        raise ValidationError("统一社会信用代码无效", code="invalid") from None


def uscc_check_char(first17: str) -> str:
    return uscc.calc_check_digit(first17)


def id_check_char(body17: str) -> str:
    # stdnum expects the number with a check position; its value is ignored.
    return ric.calc_check_digit(body17 + "0")


def validate_region_code(raw: str) -> str:
    n = normalise(raw)
    if len(n) == 6 and n.isdigit():
        n = n + "000000"
    if not re.fullmatch(r"\d{12}", n):
        raise ValidationError("行政区划代码应为 6 位或 12 位数字", code="format")
    return n


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(raw: str) -> dt.date:
    """YYYY-MM-DD only (``date.fromisoformat`` also takes 20240101 and 2024-W01-1); ValueError otherwise."""
    if not ISO_DATE.fullmatch(raw):
        raise ValueError(raw)
    return dt.date.fromisoformat(raw)


PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(raw: str) -> str:
    n = normalise(raw).replace("-", "") if raw else ""
    if n and not PHONE.match(n):
        raise ValidationError("电话号码格式错误：应为 11 位手机号或带区号的固定电话", code="phone")
    return n
