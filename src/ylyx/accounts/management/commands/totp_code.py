"""``manage.py totp_code USER``: the current TOTP code of a demo login, so demo users need no phone.

Refused unless ``DEBUG`` or ``DEMO_MODE`` is on: anywhere else it would turn the second factor into a shell
command.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from ylyx.accounts.services import totp_code


class Command(BaseCommand):
    help = "打印演示账号当前的动态验证码（仅限演示环境：DEBUG 或 DEMO_MODE）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")

    def handle(self, *args, **opts):
        if not (settings.DEBUG or getattr(settings, "DEMO_MODE", False)):
            raise CommandError("仅限演示环境使用（DEBUG 或 YLYX_DEMO_MODE=1）；生产环境请使用手机验证器")
        device = TOTPDevice.objects.filter(user__username__iexact=opts["username"], confirmed=True).first()
        if device is None:
            raise CommandError(f"用户名：{opts['username']} 没有已绑定的验证器")
        self.stdout.write(totp_code(device))
        left = device.step - int(time.time() - device.t0) % device.step
        self.stderr.write(f"（{left} 秒后更新；每个验证码只能使用一次）")
