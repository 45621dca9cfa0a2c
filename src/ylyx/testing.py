"""Test factories shared by every app's tests: small real-coded region trees, users per role, records."""

from __future__ import annotations

import datetime as dt
import itertools

from ylyx.core.validators import id_check_char, uscc_check_char
from ylyx.regions.models import Region

_seq = itertools.count(1)
PASSWORD = "Ylyx-Test-2026!"


def region_tree() -> dict[str, Region]:
    """内蒙古 / 巴彦淖尔 / 临河区 + 五原县, each with one synthetic town and village (real county codes)."""
    def mk(code, name, level, parent=None, synthetic=False, kind=""):
        obj, _ = Region.objects.get_or_create(
            code=code, defaults=dict(name=name, level=level, parent=parent, is_synthetic=synthetic, kind=kind))
        return obj

    p = mk("150000000000", "内蒙古自治区", 1)
    c = mk("150800000000", "巴彦淖尔市", 2, p)
    linhe = mk("150802000000", "临河区", 3, c)
    wuyuan = mk("150821000000", "五原县", 3, c)
    t1 = mk("150802001000", "演示街道一", 4, linhe, True, "street")
    t2 = mk("150821100000", "演示镇一", 4, wuyuan, True, "town")
    v1 = mk("150802001001", "演示社区一", 5, t1, True, "community")
    v2 = mk("150821100200", "演示村一", 5, t2, True, "village")
    other_city = mk("150400000000", "赤峰市", 2, p)
    return {"province": p, "city": c, "linhe": linhe, "wuyuan": wuyuan, "linhe_town": t1,
            "wuyuan_town": t2, "linhe_village": v1, "wuyuan_village": v2, "chifeng": other_city}


def make_user(role: str, region: Region | None = None, institution=None, *, otp: bool | None = None, **kw):
    """A user with ``PASSWORD``. ``otp``: give it a confirmed TOTP device; by default only roles that require
    the second factor get one (as they would after their first login), so ``otp=False`` makes a required-role
    user who has not enrolled yet."""
    from ylyx.accounts.models import User
    from ylyx.core.permissions import requires_second_factor

    n = next(_seq)
    user = User(username=kw.pop("username", f"{role}{n}"), role=role, region=region, institution=institution,
                display_name=kw.pop("display_name", f"{role}{n}"), **kw)
    user.set_password(PASSWORD)
    user.save()
    if otp if otp is not None else requires_second_factor(role):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=user, name="验证器", confirmed=True)
    return user


def totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get(user=user, confirmed=True)


def totp_code(user, steps_ahead: int = 0) -> str:
    """The code the user's authenticator shows now (or ``steps_ahead`` time steps later)."""
    import time

    from ylyx.accounts.services import totp_code as code_at

    device = totp_device(user)
    return code_at(device, at=time.time() + steps_ahead * device.step)


def code_for_secret(secret: str, steps_ahead: int = 0) -> str:
    """The 6-digit code for a base32 key as shown on the enrolment page (what the phone app computes)."""
    import time
    from base64 import b32decode

    from django_otp.oath import TOTP

    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def complete_second_factor(client, user) -> None:
    """Mark a logged-in test client's session as verified with the user's TOTP device, if it has one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def force_login(client, user) -> None:
    """``client.force_login`` plus the second factor: a session as after password and TOTP code."""
    client.force_login(user)
    complete_second_factor(client, user)


def fake_id_number(birth: dt.date, sex: str = "M", area: str = "150802", seq: int | None = None) -> str:
    """A checksum-valid 身份证号 for tests and demo data (fictitious people)."""
    s = (seq if seq is not None else next(_seq)) % 500
    order = s * 2 + (1 if sex == "M" else 0)
    body = f"{area}{birth:%Y%m%d}{order:03d}"
    return body + id_check_char(body)


def fake_uscc(region6: str = "150802", seq: int | None = None) -> str:
    s = seq if seq is not None else next(_seq)
    org = f"MA{s:07d}"[-9:]
    body = f"52{region6}{org}"
    return body + uscc_check_char(body)


def make_institution(region: Region, kind: str = "elder", subtype: str = "public", **kw):
    from ylyx.institutions.models import Institution

    n = next(_seq)
    defaults = dict(name=f"测试机构{n}", kind=kind, subtype=subtype, region=region, uscc=fake_uscc(region.code[:6], n),
                    beds=100 if kind != "childcare" else 0, nursing_beds=40 if kind != "childcare" else 0,
                    opened_on=dt.date(2015, 1, 1))
    defaults.update(kw)
    inst = Institution(**defaults)
    inst.save()
    return inst


def make_elderly(region: Region, birth: dt.date = dt.date(1950, 5, 1), sex: str = "F", **kw):
    from ylyx.people.models import ElderlyPerson

    p = ElderlyPerson(name=kw.pop("name", "王秀英"), region=region, sex=sex, **kw)
    p.set_id_number(fake_id_number(birth, sex, region.code[:6]))
    p.save()
    return p


def make_infant(region: Region, birth: dt.date | None = None, sex: str = "M", **kw):
    from ylyx.people.models import Infant

    birth = birth or (dt.date.today() - dt.timedelta(days=400))
    p = Infant(name=kw.pop("name", "李小明"), region=region, sex=sex, guardian_name=kw.pop("guardian_name", "李强"), **kw)
    p.set_id_number(fake_id_number(birth, sex, region.code[:6]))
    p.save()
    return p


def make_practitioner(region: Region, role: str = "elder_caregiver", institution=None, **kw):
    from ylyx.workforce.models import Practitioner

    p = Practitioner(name=kw.pop("name", "张护理"), region=region, role=role, institution=institution, **kw)
    p.set_id_number(fake_id_number(dt.date(1980, 3, 3), "F", region.code[:6]))
    p.save()
    return p


def make_approver(job, **kw):
    """A new user who may approve ``job``: a city department for a city request, else the county's officer."""
    from ylyx.core.permissions import allows

    region = job.region
    while region.level > 3:
        region = region.parent
    roles = ("civil_affairs", "health") if region.level <= 2 else ("county_officer",)
    role = next(r for r in roles if allows(r, job.resource, "export"))
    return make_user(role, region, **kw)


def export_through_pages(user, list_name: str, query: str = "", reason: str = "核对名单数据", approver=None):
    """Export a list as ``user`` the way a person does: the list's 导出 button, the request form, a second
    person's approval when the job needs it (``approver``, or a new one from :func:`make_approver`), and the
    download. Returns ``(job, status code, body)``; ``job`` is None when the list downloaded directly."""
    from django.test import Client
    from django.urls import reverse

    from ylyx.imports.models import ExportJob

    c = Client()
    c.force_login(user)
    resp = c.get(reverse(list_name) + "?" + (f"{query}&" if query else "") + "export=xlsx")
    if resp.status_code != 302:
        return None, resp.status_code, resp.content
    assert resp["Location"].startswith(reverse("imports:export_new")), resp["Location"]
    resp = c.post(reverse("imports:export_new"), {"list": list_name, "filter": query, "reason": reason})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    job = ExportJob.objects.filter(requester=user).latest("id")  # system: the test's own job
    if job.status == "pending":
        a = Client()
        a.force_login(approver or make_approver(job))
        assert a.post(reverse("imports:export_approve", args=[job.pk]), {"comment": "同意"}).status_code == 302
    job.refresh_from_db()
    resp = c.get(reverse("imports:export_download", args=[job.pk]))
    body = b"".join(getattr(resp, "streaming_content", [])) if resp.streaming else resp.content
    return job, resp.status_code, body
