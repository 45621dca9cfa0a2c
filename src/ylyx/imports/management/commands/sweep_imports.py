"""Delete expired and orphaned import files and give up on stuck batches (run from cron or a timer)."""

from django.core.management.base import BaseCommand

from ylyx.imports.services import sweep


class Command(BaseCommand):
    help = "清理过期的导入临时文件，并将长时间无进展的导入批次标记为失败"

    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(f"stuck={result['stuck']} expired={result['expired']} orphans={result['orphans']}")
