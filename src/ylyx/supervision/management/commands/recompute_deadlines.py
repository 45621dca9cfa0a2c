"""``manage.py recompute_deadlines``: after entering a year's holidays in SUPERVISION_CALENDAR_SUPPLEMENT,
recompute the publication and complaint deadlines that were provisional (weekdays only)."""

from django.core.management.base import BaseCommand

from ylyx.supervision.services import recompute_provisional_deadlines


class Command(BaseCommand):
    help = "按已录入的节假日安排重算“预计”的公示期限和投诉办结期限"

    def handle(self, *args, **opts):
        out = recompute_provisional_deadlines()
        self.stdout.write(f"重算检查结果公示期限 {out['inspections']} 项、投诉办结期限 {out['complaints']} 项；"
                          f"仍为预计（该年节假日安排未录入）{out['still_provisional']} 项")
