"""``manage.py stats --region 150800 --date 2020-12-31 --format json|table`` (also ``ylyx stats …``)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from ylyx.workspace.stats import flatten, label, registry_stats


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


class Command(BaseCommand):
    help = "按区划和日期输出登记统计（机构、床位、托位、备案、人口、老年人、从业人员）"

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="行政区划代码，6 位或 12 位，如 150800")
        parser.add_argument("--date", default="", help="统计日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--format", choices=["json", "table"], default="table", help="输出格式")

    def handle(self, *args, **opts):
        try:
            on = dt.date.fromisoformat(opts["date"]) if opts["date"] else dt.date.today()
        except ValueError:
            raise CommandError(f"--date 日期格式错误：{opts['date']}，应为 YYYY-MM-DD") from None
        try:
            data = registry_stats(opts["region"], on)
        except ValueError as exc:
            raise CommandError(f"--region {exc}") from None
        if opts["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        flat = flatten(data)
        width = max(_width(label(k)) for k in flat) + 2
        for k, v in flat.items():
            name = label(k)
            pad = width - _width(name)
            shown = "—" if v is None else (f"{v:,}" if isinstance(v, int) and not k.endswith(("year", "level", "code"))
                                          else str(v))
            self.stdout.write(f"{name}{' ' * max(1, pad)}{shown}")
