"""``manage.py build_demo --scale 1.0 --fresh``: the synthetic 巴彦淖尔 demo city (see ylyx.demo)."""

from __future__ import annotations

import json
import time
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ylyx.demo.build import DemoError, build
from ylyx.demo.logins import TOTP_NOTE, totp_hint
from ylyx.demo.spec import SEED


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=False)), line]
    out += ["  ".join(_pad(str(x), w) for x, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


class Command(BaseCommand):
    help = "生成演示城市（巴彦淖尔市 150800）：区划、人口、机构、老年人、婴幼儿、从业人员和各角色演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="规模系数，1.0 为全市实际规模；0.05 为缩小版")
        parser.add_argument("--fresh", action="store_true",
                            help="先删除现有数据库（SQLite 删除文件，PostgreSQL 删除全部表）再迁移和生成")
        parser.add_argument("--seed", type=int, default=SEED, help="随机种子（相同种子生成相同数据）")
        parser.add_argument("--verify", action="store_true", help="生成后从数据库回读并检查一致性（较慢）")
        parser.add_argument("--timings-json", default="", help="把各阶段耗时写入该 JSON 文件（供 bench 使用）")

    def handle(self, *args, **opts):
        scale = opts["scale"]
        if not 0.01 <= scale <= 1.0:
            raise CommandError("--scale 应在 0.01 到 1.0 之间")
        self.stdout.write(f"生成演示城市：巴彦淖尔市（150800），规模 {scale:g}，种子 {opts['seed']}")
        t0 = time.perf_counter()
        logins_path = settings.VAR_DIR / "demo-logins.txt"
        try:
            result = build(scale, opts["seed"], fresh=opts["fresh"], log=self.stdout.write, logins_path=logins_path)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        total = time.perf_counter() - t0
        self.stdout.write(f"  合计{' ' * 12} {total:7.1f} s")
        self.stdout.write("")
        self.stdout.write(table(["表", "行数"], [[k, f"{v:,}"] for k, v in sorted(result.counts.items())]))
        self.stdout.write("")
        decl = result.declared["2020-12-31"]
        self.stdout.write("2020-12-31 应与规划一致：" + "，".join(
            f"{k}={v}" for k, v in decl.items() if k in (
                "population.total", "population.aged_60", "population.aged_65", "population.under_3",
                "elder_care.total", "capacity.beds", "capacity.nursing_bed_share", "childcare.institutions",
                "childcare.filed", "childcare.places")))
        self.stdout.write("")
        self.stdout.write(table(["角色", "用户名", "密码", "动态口令密钥", "范围"],
                                [[x.role_label, x.username, x.password, x.totp_secret or "—", x.scope]
                                 for x in result.logins]))
        self.stdout.write(f"\n{TOTP_NOTE}")
        for x in result.logins:
            if x.totp_secret:
                self.stdout.write(f"  {totp_hint(x)}")
        self.stdout.write(f"\n演示账号已写入 {logins_path}（权限 600）")
        if opts["verify"]:
            from ylyx.demo.checks import verify

            t1 = time.perf_counter()
            problems = verify(result.spec)
            self.stdout.write(f"\n一致性检查（{time.perf_counter() - t1:.1f} s）：" + ("全部通过" if not problems else ""))
            for p in problems:
                self.stdout.write(f"  ✗ {p}")
            if problems:
                raise CommandError(f"一致性检查发现 {len(problems)} 个问题")
        if opts["timings_json"]:
            with open(opts["timings_json"], "w", encoding="utf-8") as fh:
                json.dump({"scale": scale, "seed": opts["seed"], "total_seconds": total,
                           "phases": [{"name": n, "seconds": s} for n, s in result.timings],
                           "counts": result.counts}, fh, ensure_ascii=False, indent=2)
