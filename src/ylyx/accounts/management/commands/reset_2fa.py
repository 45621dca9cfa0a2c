"""``manage.py reset_2fa USER --reason …``: remove a user's authenticator, recovery codes and API tokens."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ylyx.accounts.models import User
from ylyx.accounts.services import second_factor_reset


class Command(BaseCommand):
    help = "重置用户的双因素认证（验证器、恢复码和 API 令牌全部作废，写入审计日志）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--reason", default="", help="理由，如“手机遗失”（写入审计日志）")

    def handle(self, *args, **opts):
        # An operator's command on one named account (accounts are not region-scoped rows).
        user = User.objects.filter(username__iexact=opts["username"]).first()
        if user is None:
            raise CommandError(f"用户名：没有用户 {opts['username']}")
        reason = opts["reason"].strip() or "manage.py reset_2fa"
        removed = second_factor_reset(actor=None, user=user, reason=reason)
        self.stdout.write(f"已重置 {user.username} 的双因素认证：验证器 {removed['totp_devices']} 个，"
                          f"API 令牌 {removed['api_tokens']} 个已作废；下次登录须重新绑定验证器。")
