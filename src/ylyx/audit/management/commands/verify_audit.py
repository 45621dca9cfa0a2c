from django.core.management.base import BaseCommand, CommandError

from ylyx.audit.services import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链，报告第一个被篡改的记录"

    def handle(self, *args, **opts):
        ok, bad, n = verify_chain()
        if not ok:
            raise CommandError(f"审计日志在第 {bad} 号记录处断链（已检查 {n} 条）")
        self.stdout.write(f"审计日志完整：{n} 条")
