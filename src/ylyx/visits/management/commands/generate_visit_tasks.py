"""Generate a month's visit tasks for a region (default: the whole platform's cities, this month), for cron."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ylyx.regions.models import Region
from ylyx.visits import services


class Command(BaseCommand):
    help = "按探访规则生成某月探访任务（默认本月、全部市级区划）；可重复运行，只补充新增对象"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM，默认本月")
        parser.add_argument("--region", help="12 位区划代码，默认全部市级区划")

    def handle(self, *args, month: str | None = None, region: str | None = None, **kw):
        try:
            first = dt.date.fromisoformat(f"{month}-01") if month else timezone.localdate().replace(day=1)
        except ValueError as exc:
            raise CommandError("--month 格式应为 YYYY-MM") from exc
        regions = Region.objects.filter(code=region) if region else Region.objects.filter(level=2)
        if not regions.exists():
            raise CommandError("区划代码不存在")
        for r in regions:
            res = services.generate_month(None, r, first)
            self.stdout.write(f"{r.name} {first:%Y-%m}: 新生成 {res['created']} 项，分派 {res['assigned']} 项")
