"""Delete expired export files and give up on stale export requests and stuck jobs (run from cron or a timer)."""

from django.core.management.base import BaseCommand

from ylyx.imports.export_jobs import purge


class Command(BaseCommand):
    help = "删除超过保存期限的导出文件，使长期未处理的导出申请失效，并将长时间无进展的导出任务标记为失败"

    def handle(self, *args, **options):
        result = purge()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
