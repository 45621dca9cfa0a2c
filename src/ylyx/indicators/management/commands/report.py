"""``ylyx report --plan bayannur-2021 --region 150800 --year 2024``: the annual report from the shell.

Run by an operator with shell access, so no user is needed; ``--user`` applies that user's role and
region scope as the web task does.
"""

from django.core.management.base import BaseCommand, CommandError

from ylyx.indicators.report import (
    ReportError,
    build_annual_report,
    check_region_in_plan,
    check_role,
    check_year,
    resolve_plan,
    resolve_region,
)


class Command(BaseCommand):
    help = "生成规划指标年度报告（PDF 与 Excel），输出文件路径"

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="规划编号或代码，如 bayannur-2021")
        parser.add_argument("--region", required=True, help="区划代码，如 150800 或 150800000000")
        parser.add_argument("--year", required=True, help="报告年度，如 2024")
        parser.add_argument("--out", default="", help="输出目录（默认 VAR_DIR/reports）")
        parser.add_argument("--user", default="", help="按该用户的角色和管辖范围检查（用户名）")

    def handle(self, *args, **opts):
        from ylyx.accounts.models import User

        try:
            user = None
            if opts["user"]:
                user = User.objects.select_related("region").filter(
                    username__iexact=opts["user"], is_active=True).first()
                if user is None:
                    raise ReportError(f"用户“{opts['user']}”不存在或已停用")
                check_role(user)
            year = check_year(opts["year"])
            region = resolve_region(opts["region"], user)
            plan = resolve_plan(opts["plan"], user)
            check_region_in_plan(region, plan)
            result = build_annual_report(plan, region, year, opts["out"] or None, actor=user)
        except ReportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result["pdf"])
        self.stdout.write(result["xlsx"])
