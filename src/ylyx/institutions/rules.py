"""Registry rules from standards.md §2 and §3 as plain functions: each returns Chinese refusals, or [].

Plain data in, messages out, so the same checks serve forms, the API and Excel imports. Class sizes,
age windows and ratios come from ``settings.CHILDCARE_CLASS_RULES`` ([S] values, configurable).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings


def class_rules() -> dict:
    return settings.CHILDCARE_CLASS_RULES


def age_in_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if on.day < birth.day:
        months -= 1
    return months


def check_beds(beds: int, nursing_beds: int, residents: int = 0) -> list[str]:
    errors = []
    if nursing_beds > beds:
        errors.append(f"护理型床位数（{nursing_beds}）不能超过床位数（{beds}）")
    if residents > beds:
        errors.append(f"在住老年人（{residents}）不能超过床位数（{beds}）")
    return errors


def check_class_size(class_type: str, places: int) -> list[str]:
    rule = class_rules()[class_type]
    if places > rule["max_size"]:
        return [f"{rule['label']}每班不超过 {rule['max_size']} 人，当前设置 {places} 个托位"]
    return []


def required_caregivers(class_type: str, children: int) -> int:
    return math.ceil(children / class_rules()[class_type]["ratio"]) if children else 0


def check_ratio(class_type: str, children: int, caregivers: int) -> list[str]:
    rule = class_rules()[class_type]
    need = required_caregivers(class_type, children)
    if caregivers < need:
        return [f"{rule['label']}保育人员与幼儿之比不低于 1:{rule['ratio']}：{children} 名幼儿至少需要 {need} 名保育人员，"
                f"现有 {caregivers} 名"]
    return []


@dataclass(frozen=True)
class EnrolmentCheck:
    birth_date: dt.date
    on: dt.date
    class_type: str
    class_places: int
    enrolled: int  # children already in the class on that date
    caregivers: int


def check_enrolment(c: EnrolmentCheck) -> list[str]:
    """入托 rules: under 36 months, the class's age window, class size and caregiver ratio after admission."""
    errors = []
    rule = class_rules()[c.class_type]
    months = age_in_months(c.birth_date, c.on)
    if months >= 36:
        errors.append(f"婴幼儿入托时已满 36 个月（{months} 个月），不能入托")
    elif months < rule["min_months"] or months >= rule["max_months"]:
        errors.append(f"{rule['label']}招收 {rule['min_months']}—{rule['max_months']} 个月的婴幼儿，该婴幼儿入托时 {months} 个月")
    if c.enrolled + 1 > min(c.class_places, rule["max_size"]):
        errors.append(f"班级已满：{rule['label']}托位 {c.class_places} 个，已入托 {c.enrolled} 人")
    errors += check_ratio(c.class_type, c.enrolled + 1, c.caregivers)
    return errors


def check_admission(*, died_on: dt.date | None, moved_out_on: dt.date | None, on: dt.date, beds: int,
                    residents: int, nursing: bool, nursing_beds: int, nursing_residents: int,
                    already_resident: bool) -> list[str]:
    """入住 rules: a living person, not already resident elsewhere, within beds and nursing beds."""
    errors = []
    if died_on is not None and died_on <= on:
        errors.append(f"该老年人已于 {died_on:%Y-%m-%d} 死亡，不能办理入住")
    if moved_out_on is not None and moved_out_on <= on:
        errors.append(f"该老年人已于 {moved_out_on:%Y-%m-%d} 迁出，不能办理入住")
    if already_resident:
        errors.append("该老年人已在其他机构入住，请先办理离院")
    if residents + 1 > beds:
        errors.append(f"机构床位已满：床位 {beds} 张，在住 {residents} 人")
    if nursing and nursing_residents + 1 > nursing_beds:
        errors.append(f"护理型床位已满：护理型床位 {nursing_beds} 张，已用 {nursing_residents} 张")
    return errors
