"""Compute, approve or resume a month's subsidy batch from the command line (operators' scheduled job).

    manage.py subsidy_batch --user 用户名 --region 150802000000 --period 2026-10 --compute
    manage.py subsidy_batch --user 用户名 --batch 12 --approve
    manage.py subsidy_batch --user 用户名 --batch 12 --resume      # after an interrupted payment
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from ylyx.accounts.models import User
from ylyx.regions.models import Region
from ylyx.subsidies import services
from ylyx.subsidies.models import Batch


class Command(BaseCommand):
    help = "计算、审批或续写月度补贴发放批次"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True)
        parser.add_argument("--region")
        parser.add_argument("--period")
        parser.add_argument("--batch", type=int)
        parser.add_argument("--compute", action="store_true")
        parser.add_argument("--approve", action="store_true")
        parser.add_argument("--resume", action="store_true")

    def handle(self, *args, **o):
        user = User.objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"用户 {o['user']} 不存在")
        try:
            if o["compute"]:
                region = Region.objects.filter(code=o["region"] or "").first()
                if region is None:
                    raise CommandError("请用 --region 指定 12 位区划代码")
                b = services.compute_batch(user, region, o["period"] or "")
                self.stdout.write(f"batch {b.pk} {b.period} lines={b.lines_count} total={b.total}")
            if o["approve"] or o["resume"]:
                b = Batch.objects.for_user(user, "approve").filter(pk=o["batch"]).first()
                if b is None:
                    raise CommandError("批次不存在或不在您的管辖范围内")
                b = services.approve_batch(user, b) if o["approve"] else services.resume_batch(user, b)
                self.stdout.write(f"batch {b.pk} {b.status} paid={b.paid_total} skipped={b.skipped_count}")
        except (ValidationError, PermissionDenied) as e:
            raise CommandError("；".join(getattr(e, "messages", [str(e)]))) from e
