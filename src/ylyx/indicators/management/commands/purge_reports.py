"""``ylyx purge_reports --days 30``: delete old annual report files and mark their jobs expired.

Run daily from cron or a timer; the default period is the REPORT_RETENTION_DAYS setting (30 days).
"""

from django.core.management.base import BaseCommand, CommandError

from ylyx.indicators.report import ReportError, purge_reports, retention_days


class Command(BaseCommand):
    help = "清理超过保存期限的年度报告文件，并将对应的报告任务标记为已过期"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="保存天数：早于该天数申请的报告将被清理（默认 REPORT_RETENTION_DAYS，30 天）")

    def handle(self, *args, **opts):
        days = opts["days"] if opts["days"] is not None else retention_days()
        try:
            result = purge_reports(days)
        except ReportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已清理报告任务 {result['jobs']} 个，删除文件 {result['files']} 个，"
                          f"无主目录 {result['orphans']} 个（保存期限 {days} 天）")
