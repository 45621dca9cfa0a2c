"""``manage.py indicators --plan bayannur-2021 --region 150800 --date 2020-12-31 --format json|csv``."""

import csv
import datetime as dt
import io
import json

from django.core.management.base import BaseCommand, CommandError

from ylyx.indicators.exports import table_as_dict, table_rows
from ylyx.indicators.models import Plan
from ylyx.indicators.selectors import plan_table


class Command(BaseCommand):
    help = "计算规划全部指标在某区划、某日期的数值与状态，输出 JSON 或 CSV"

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="规划编号或代码，如 bayannur-2021")
        parser.add_argument("--region", default="", help="区划代码（6、9 或 12 位），默认为规划区划")
        parser.add_argument("--date", default="", help="日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--breakdown", action="store_true", help="同时输出下一级区划的数值（JSON）")

    def handle(self, *args, **opts):
        ref = opts["plan"].strip()
        plan = Plan.objects.filter(**({"pk": int(ref)} if ref.isdigit() else {"code": ref})).first()
        if plan is None:
            raise CommandError(f"规划“{ref}”不存在（可先运行 manage.py load_plans）")
        try:
            on = dt.date.fromisoformat(opts["date"]) if opts["date"] else dt.date.today()
        except ValueError:
            raise CommandError(f"日期“{opts['date']}”格式应为 YYYY-MM-DD") from None
        try:
            table = plan_table(plan, opts["region"] or plan.region_code, on, with_breakdown=opts["breakdown"])
        except ValueError as e:
            raise CommandError(str(e)) from None
        if opts["format"] == "json":
            self.stdout.write(json.dumps(table_as_dict(table), ensure_ascii=False, indent=2))
            return
        buf = io.StringIO()
        writer = csv.writer(buf)
        for row in table_rows(table):
            writer.writerow(row)
        self.stdout.write(buf.getvalue(), ending="")
