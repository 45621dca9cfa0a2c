"""Institutions (keyed by USCC) and practitioners: upserts, domain rules, capacity history, references."""

import datetime as dt
from decimal import Decimal

from ylyx import testing
from ylyx.imports.models import Status
from ylyx.institutions.models import CapacityRecord, Institution
from ylyx.workforce.models import Practitioner

from .fixtures.workbooks import make_id, write_xlsx
from .helpers import commit, issues, messages, upload

INST_HEADERS = ["机构名称*", "统一社会信用代码*", "类别*", "类型*", "行政区划代码*", "床位数", "护理型床位数", "建筑面积（㎡）",
                "开业日期", "状态"]


def inst_rows():
    return [
        ["临河区第一养老院", testing.fake_uscc("150802", 101), "养老机构", "公办养老机构", "150802001", 100, 40, 3200.55,
         dt.date(2018, 5, 1), "运营"],
        ["临河区幸福院", testing.fake_uscc("150802", 102), "社区养老服务设施", "农村牧区互助幸福院", "150802001001", 12, 0, None,
         None, None],
    ]


def test_institutions_upsert_by_uscc(users, tmp_path):
    officer = users["civil_affairs"]
    rows = inst_rows()
    batch = commit(upload(officer, write_xlsx(tmp_path / "a.xlsx", INST_HEADERS, rows), "institution"))
    assert batch.status == Status.COMMITTED, batch.message
    assert batch.rows_new == 2
    home = Institution.objects.get(uscc=rows[0][1])
    assert (home.kind, home.subtype, home.domain, home.region_id, home.beds) == (
        "elder", "public", "elder", "150802001000", 100)
    assert home.floor_area == Decimal("3200.6")
    cap = CapacityRecord.objects.get(institution=home)
    assert (cap.valid_from, cap.beds, cap.nursing_beds, cap.valid_to) == (dt.date(2018, 5, 1), 100, 40, None)

    again = upload(officer, write_xlsx(tmp_path / "b.xlsx", INST_HEADERS, rows), "institution", force=True)
    assert again.status == Status.VALIDATED
    assert (again.rows_new, again.rows_updated, again.rows_unchanged) == (0, 0, 2)

    rows[0][5] = 120
    changed = commit(upload(officer, write_xlsx(tmp_path / "c.xlsx", INST_HEADERS, rows), "institution"))
    assert (changed.rows_new, changed.rows_updated, changed.rows_unchanged) == (0, 1, 1)
    home.refresh_from_db()
    assert home.beds == 120
    history = list(CapacityRecord.objects.filter(institution=home).order_by("valid_from"))
    assert [h.beds for h in history] == [100, 120]
    assert history[0].valid_to == history[1].valid_from == dt.date.today()


def test_institution_rules_and_domains(users, tmp_path):
    rows = inst_rows()
    rows[0][6] = 140                                                         # nursing beds > beds
    rows[1][3] = "公办托育机构"                                               # subtype of another kind
    rows.append(["示例托育园", testing.fake_uscc("150802", 103), "托育机构", "普惠托育机构", "150802", 0, 0, None, None,
                 None])                                                      # 民政 may not import childcare
    rows.append(["重复", rows[0][1], "养老机构", "公办养老机构", "150802", 1, 0, None, None, None])
    batch = upload(users["civil_affairs"], write_xlsx(tmp_path / "a.xlsx", INST_HEADERS, rows), "institution")
    assert batch.status == Status.REJECTED
    msg = messages(batch)
    assert msg[(2, "护理型床位数")] == "护理型床位数（140）不能超过床位数（100）"
    assert msg[(3, "类型")].startswith("“公办托育机构”不属于“社区养老服务设施”")
    assert msg[(4, "类别")] == "您的角色只能导入养老领域的机构"
    assert msg[(5, "统一社会信用代码")] == "与第 2 行的统一社会信用代码重复"
    assert Institution.objects.filter(uscc__in=[r[1] for r in rows]).count() == 0


def test_uscc_typed_as_number_and_bad_checksum(users, tmp_path):
    rows = inst_rows()
    rows[0][1] = 9.11e17
    rows[1][1] = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", INST_HEADERS, rows), "institution")
    msg = messages(batch)
    assert msg[(2, "统一社会信用代码")] == "统一社会信用代码被 Excel 转为数字，请将该列设置为文本格式后重新导出"
    assert msg[(3, "统一社会信用代码")] == "统一社会信用代码校验位错误"


def test_institution_of_another_county_is_not_updated(users, tree, tmp_path):
    other = testing.make_institution(tree["wuyuan_town"])
    rows = inst_rows()[:1]
    rows[0][1] = other.uscc
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", INST_HEADERS, rows), "institution")
    assert issues(batch) == {(2, "统一社会信用代码")}
    other.refresh_from_db()
    assert other.region_id == tree["wuyuan_town"].code


PRAC_HEADERS = ["姓名", "身份证号", "行政区划代码", "岗位", "学历", "现任机构统一社会信用代码"]


def test_practitioners_with_institution_reference(users, tree, tmp_path):
    home = testing.make_institution(tree["linhe_town"])
    far = testing.make_institution(tree["wuyuan_town"])
    rows = [
        ["张护理", make_id("150802", dt.date(1980, 3, 3), 5), "150802001001", "养老护理员", "高中", home.uscc],
        ["李护理", make_id("150802", dt.date(1982, 3, 3), 7), "150802001001", "养老护理员", "", None],
        ["赵护理", make_id("150802", dt.date(1983, 3, 3), 9), "150802001001", "护工", "", far.uscc],
    ]
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", PRAC_HEADERS, rows), "practitioner")
    msg = messages(batch)
    assert msg[(4, "岗位")].startswith("“护工”不是有效的选项")
    assert msg[(4, "现任机构统一社会信用代码")] == "该机构超出您的管辖范围"
    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "b.xlsx", PRAC_HEADERS, rows[:2]),
                          "practitioner"))
    assert batch.status == Status.COMMITTED and batch.rows_new == 2
    p = Practitioner.objects.get(name="张护理")
    assert (p.institution_id, p.role, p.education, p.sex) == (home.pk, "elder_caregiver", "高中", "M")
    rows[1][5] = home.uscc
    again = commit(upload(users["county_officer"], write_xlsx(tmp_path / "c.xlsx", PRAC_HEADERS, rows[:2]),
                          "practitioner"))
    assert (again.rows_new, again.rows_updated, again.rows_unchanged) == (0, 1, 1)
    assert Practitioner.objects.get(name="李护理").institution_id == home.pk
