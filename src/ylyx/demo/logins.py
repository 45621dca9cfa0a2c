"""One demo login per role, with a fresh strong password each build (never derived from the seed).

Roles that must use two-factor authentication (``OTP_REQUIRED_ROLES``) get a confirmed TOTP device with a
fresh random key; the key is printed next to the password, and ``manage.py totp_code USER`` prints the
current code in demo environments, so every printed login works without a phone.
"""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

ALPHABET = string.ascii_letters + string.digits
SYMBOLS = "!@#%^*-_+=?"


@dataclass
class Login:
    role: str
    role_label: str
    username: str
    password: str
    scope: str
    totp_secret: str = ""  # base32, for roles that must use two-factor authentication


def strong_password(user=None) -> str:
    while True:
        core = "".join(secrets.choice(ALPHABET) for _ in range(12))
        pw = (secrets.choice(string.ascii_uppercase) + core[:6] + secrets.choice(SYMBOLS) + core[6:]
              + secrets.choice(string.digits))
        try:
            validate_password(pw, user)
        except ValidationError:
            continue
        return pw


def create_logins(linhe_town_code: str, elder_inst, childcare_inst) -> list[Login]:
    from ylyx.accounts import services as otp
    from ylyx.accounts.models import User
    from ylyx.core.permissions import Role, requires_second_factor
    from ylyx.regions.models import Region

    city = Region.objects.get(code="150800000000")
    linhe = Region.objects.get(code="150802000000")
    wuyuan = Region.objects.get(code="150821000000")
    town = Region.objects.get(code=linhe_town_code)
    plan = [
        (Role.CIVIL_AFFAIRS, "demo_minzheng", "市民政局（演示）", city, None, {}),
        (Role.HEALTH, "demo_weijian", "市卫健委（演示）", city, None, {}),
        (Role.LEADER, "demo_lingdao", "市发改委领导（演示）", city, None, {}),
        (Role.INSPECTOR, "demo_jiancha", "市检查人员（演示）", city, None, {}),
        (Role.AUDITOR, "demo_shenji", "审计管理员（演示）", city, None, {}),
        (Role.SYSADMIN, "demo_xitong", "系统管理员（演示）", city, None, {}),
        (Role.COUNTY_OFFICER, "demo_linhe", "临河区工作人员（演示）", linhe, None, {"can_view_full_pi": True}),
        (Role.COUNTY_OFFICER, "demo_wuyuan", "五原县工作人员（演示）", wuyuan, None, {}),
        (Role.TOWN_OFFICER, "demo_jiedao", f"{town.name}工作人员（演示）", town, None, {}),
        (Role.OPERATOR, "demo_yanglao", f"{elder_inst.name}经办人（演示）", elder_inst.region, elder_inst, {}),
        (Role.OPERATOR, "demo_tuoyu", f"{childcare_inst.name}经办人（演示）", childcare_inst.region, childcare_inst, {}),
    ]
    out = []
    for role, username, display, region, inst, extra in plan:
        user = User(username=username, display_name=display, role=role, region=region, institution=inst,
                    must_change_password=False, **extra)
        pw = strong_password(user)
        user.set_password(pw)
        user.save()
        scope = inst.name if inst is not None else f"{region.name}（{region.code[:6] if region.level <= 3 else region.code[:9]}）"
        secret = otp.totp_secret(otp.demo_totp_device(user=user)) if requires_second_factor(role) else ""
        out.append(Login(role, Role(role).label, username, pw, scope, secret))
    return out


TOTP_NOTE = "有动态口令密钥的账号须双因素认证：输入密码后，第二步再输入 6 位动态验证码。"


def totp_hint(login: Login) -> str:
    return (f"{login.username}：在验证器中添加密钥 {login.totp_secret}（基于时间，6 位），"
            f"或运行 `.venv/bin/python manage.py totp_code {login.username}` 取当前验证码")


def write_logins(path: Path, logins: list[Login]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# ylyx 演示账号（每次 build_demo 重新生成；仅用于演示环境）",
             f"# {TOTP_NOTE}", "角色\t用户名\t密码\t动态口令密钥\t范围"]
    lines += [f"{x.role_label}\t{x.username}\t{x.password}\t{x.totp_secret}\t{x.scope}" for x in logins]
    lines += [""] + [f"# {totp_hint(x)}" for x in logins if x.totp_secret]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
