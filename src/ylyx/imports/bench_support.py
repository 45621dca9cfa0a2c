"""Synthetic import workbooks for benchmarks: valid rows, checksum-valid fictitious IDs, deterministic.

``make_workbook("elderly", 100_000, ["150802001001", ...], path)`` writes a file that validates without
errors for a user whose scope contains the given region codes (they must exist in regions.Region).
Row i always gets the same values, so a second file of the same size imports as "unchanged".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from ylyx.core.validators import id_check_char, uscc_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["秀英", "桂英", "玉兰", "建国", "国华", "淑珍", "志强", "海燕", "文博", "子涵", "浩然", "雨桐", "明", "芳",
         "军", "静", "磊", "洋", "敏", "伟"]
HEADERS = {
    "elderly": ["姓名", "身份证号", "性别", "联系电话", "行政区划代码", "居住地址", "居住情况", "经济状况",
                "计划生育特殊家庭", "残疾等级", "登记日期"],
    "infant": ["姓名", "身份证号", "性别", "联系电话", "行政区划代码", "居住地址", "监护人姓名", "与婴幼儿关系"],
    "practitioner": ["姓名", "身份证号", "性别", "联系电话", "行政区划代码", "岗位", "学历"],
    "institution": ["机构名称", "统一社会信用代码", "类别", "类型", "行政区划代码", "地址", "床位数", "护理型床位数",
                    "状态", "开业日期"],
}
LIVING = ["与家人同住", "独居", "空巢", "留守", "孤寡"]
ECONOMIC = ["一般", "一般", "一般", "低保", "特困", "低保边缘"]
ROLES = ["养老护理员", "育婴员", "保育员", "卫生保健人员", "社会工作者"]


def synthetic_id(area: str, index: int, first_birth: dt.date, span_days: int) -> str:
    """Unique per index below span_days × 1000: the birth day and the 3-digit order code both vary."""
    birth = first_birth + dt.timedelta(days=index % span_days)
    order = (index // span_days) % 1000
    body = f"{area}{birth:%Y%m%d}{order:03d}"
    return body + id_check_char(body)


def synthetic_uscc(area: str, index: int) -> str:
    body = f"52{area}BK{index:07d}"[:17]  # "BK": never the shared test factory's "MA"
    return body + uscc_check_char(body)


def _name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]


def _row(resource: str, i: int, region: str) -> list:
    area = region[:6]
    sex = "男" if i % 2 else "女"
    if resource == "elderly":
        number = synthetic_id(area, i, dt.date(1930, 1, 1), 12000)
        sex = "男" if int(number[16]) % 2 else "女"
        return [_name(i), number, sex, f"139{i % 100_000_000:08d}", region, f"演示路 {i % 500 + 1} 号",
                LIVING[i % len(LIVING)], ECONOMIC[i % len(ECONOMIC)], "否", "无", dt.date(2024, 1, 1)]
    if resource == "infant":
        first = dt.date.today() - dt.timedelta(days=1000)
        number = synthetic_id(area, i, first, 950)
        sex = "男" if int(number[16]) % 2 else "女"
        return [_name(i), number, sex, f"138{i % 100_000_000:08d}", region, f"演示路 {i % 500 + 1} 号",
                _name(i + 7)[:1] + "强", "父亲"]
    if resource == "practitioner":
        number = synthetic_id(area, i, dt.date(1965, 1, 1), 12000)
        sex = "男" if int(number[16]) % 2 else "女"
        return [_name(i), number, sex, f"137{i % 100_000_000:08d}", region, ROLES[i % len(ROLES)], "高中"]
    if resource == "institution":
        beds = 50 + i % 200
        return [f"演示养老机构{i + 1}", synthetic_uscc(area, i), "养老机构", "民办养老机构", region,
                f"演示路 {i % 500 + 1} 号", beds, beds // 2, "运营", dt.date(2018, 1, 1)]
    raise ValueError(f"unknown resource {resource}")


def make_workbook(resource: str, n_rows: int, region_codes: Sequence[str], path: str | Path) -> Path:
    """Write ``n_rows`` valid rows of ``resource`` spread over ``region_codes`` (6/9/12-digit codes)."""
    if not region_codes:
        raise ValueError("region_codes must not be empty")
    codes = [str(c) for c in region_codes]
    path = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    ws.append(HEADERS[resource])
    for i in range(n_rows):
        ws.append(_row(resource, i, codes[i % len(codes)]))
    wb.save(path)
    return path


def elderly_service_data(i: int, region: str) -> dict:
    """Row i of an elderly workbook as the single-record service (people.services.create_elderly) takes it.

    The benchmark's per-row baseline registers these through the service, so both paths write the same
    person: labels become stored choice values, everything else is the cell value.
    """
    from ylyx.people.models import Disability, EconomicStatus, LivingSituation

    name, number, sex, phone, code, address, living, economic, special, disability, registered = \
        _row("elderly", i, region)
    stored = {label: value for choices in (LivingSituation, EconomicStatus, Disability)
              for value, label in choices.choices}
    return {"name": name, "id_number": number, "sex": "M" if sex == "男" else "F", "phone": phone, "region": code,
            "address": address, "living_situation": stored[living], "economic_status": stored[economic],
            "special_family": special == "是", "disability": stored[disability], "registered_on": registered}
