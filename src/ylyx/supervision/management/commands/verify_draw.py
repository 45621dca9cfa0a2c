"""``ylyx verify-draw TASK`` or ``ylyx verify-draw --file draw.json``: re-verify a published draw.

From the database, the command rebuilds the same document the public page publishes; from a file, it
checks a downloaded document offline. Either way it recomputes the draw (supervision/draw.py) and compares.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ylyx.supervision import draw as D


class Command(BaseCommand):
    help = "核验“双随机”抽取：由公布的种子、名录和参数复算抽取结果，并核对承诺值和摘要"

    def add_arguments(self, parser):
        parser.add_argument("task", nargs="?", type=int, help="抽查任务编号（公开页面上的编号）")
        parser.add_argument("--file", default="", help="从公开页面下载的抽取数据 JSON 文件")

    def handle(self, *args, **opts):
        if bool(opts["task"]) == bool(opts["file"]):
            raise CommandError("请给出抽查任务编号，或用 --file 指定下载的 JSON 文件（二者选一）")
        if opts["file"]:
            try:
                with open(opts["file"], encoding="utf-8") as fh:
                    doc = json.load(fh)
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取文件：{exc}") from exc
        else:
            from ylyx.supervision import selectors, services

            task = selectors.public_task(opts["task"])
            if task is None:
                raise CommandError(f"抽查任务 {opts['task']} 不存在或尚未公布种子承诺值")
            doc = services.task_document(task)
        self.stdout.write(f"任务：{doc['task'].get('title', '')}（编号 {doc['task'].get('id', '')}）")
        self.stdout.write(f"承诺值：{doc['commitment']}（{doc.get('committed_at', '')}）")
        self.stdout.write(f"检查对象名录 {len(doc['targets'])} 个，SHA-256 {doc['targets_sha256']}")
        self.stdout.write(f"检查人员名录 {len(doc['inspectors'])} 人，SHA-256 {doc['inspectors_sha256']}")
        problems = D.verify_document(doc)
        if problems:
            for p in problems:
                self.stdout.write(f"✗ {p}")
            raise CommandError(f"核验未通过（{len(problems)} 项问题）")
        n = len(doc["result"]["selected"])
        self.stdout.write(f"种子：{doc['seed']}（{doc.get('drawn_at', '')}），见证值：{doc.get('witness') or '无'}")
        self.stdout.write(self.style.SUCCESS(f"✓ 核验通过：抽中 {n} 个检查对象，结果 SHA-256 {doc['result_sha256']}"))
