"""Supply–demand gaps of a plan for a region and year, as JSON or CSV on standard output."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from ylyx.indicators.models import Plan
from ylyx.regions.models import Region, normalise_code

from ... import services


class Command(BaseCommand):
    help = "供需缺口：ylyx gaps --plan ID --region CODE --year YYYY --format json|csv"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--plan", required=True, help="规划 ID 或代码")
        parser.add_argument("--region", required=True, help="区划代码（6 或 12 位）")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", default="json", choices=["json", "csv"])

    def handle(self, *args, **opts) -> None:
        ref = str(opts["plan"])
        plans = Plan.objects.unscoped("command line run by the platform operator")
        plan = plans.filter(pk=int(ref)).first() if ref.isdigit() else plans.filter(code=ref).first()
        if plan is None:
            raise CommandError(f"规划不存在：{ref}")
        region = Region.objects.filter(code=normalise_code(opts["region"])).first()
        if region is None:
            raise CommandError(f"区划不存在：{opts['region']}")
        if not services.BASE_YEAR <= opts["year"] <= services.LAST_YEAR:
            raise CommandError(f"年份须在 {services.BASE_YEAR}–{services.LAST_YEAR} 之间")
        try:
            report = services.gap_report(plan, region, opts["year"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        headers, rows = services.gap_table(report)
        if opts["format"] == "csv":
            w = csv.writer(self.stdout)
            w.writerow(headers)
            w.writerows(rows)
            return
        data = {"plan": plan.pk, "region": region.code, "year": report.year, "errors": report.errors,
                "regions": [{"code": r.code, "name": r.name, "rows": [g.as_dict() for g in gs]} for r, gs in report.rows],
                "total": [g.as_dict() for g in report.total]}
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
