from django.core.management.base import BaseCommand

from ylyx.indicators.services import load_seed_plans

LABELS = {"created": "新建", "updated": "更新", "unchanged": "无变化"}


class Command(BaseCommand):
    help = "载入随平台发布的规划原文数据（indicators/data/plans/*.yaml）及指标口径；可重复运行"

    def handle(self, *args, **opts):
        result = load_seed_plans()
        for code, outcome in result.items():
            self.stdout.write(f"{code}: {LABELS.get(outcome, outcome)}")
        self.stdout.write(f"共 {len(result)} 个规划")
