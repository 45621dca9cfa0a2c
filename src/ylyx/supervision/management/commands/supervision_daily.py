"""``manage.py supervision_daily`` (schedule once a day): overdue rectification orders are escalated
(逾期督办, with a credit event), open incidents move up a level after the configured hours, and expired
red/black-list entries are removed. Each change is audited as a system action."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.dateparse import parse_date

from ylyx.supervision import services


class Command(BaseCommand):
    help = "每日监管任务：整改逾期督办、突发事件逐级上报、红黑名单期满移出"

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="按该日期执行（默认今天），格式 YYYY-MM-DD")

    def handle(self, *args, **opts):
        on = parse_date(opts["date"]) if opts["date"] else timezone.localdate()
        rect = services.escalate_overdue_rectifications(on)
        inc = services.escalate_incidents()
        exp = services.expire_list_entries(on)
        self.stdout.write(f"{on:%Y-%m-%d}：整改逾期督办 {rect} 项，突发事件升级 {inc} 件，名单期满移出 {exp} 条")
