"""Import historical MZ/T 039-2013 assessment results from an Excel workbook, kept as legacy records.

    manage.py import_legacy_assessments --user 用户名 file.xlsx

Columns (first row is the header): 身份证号, 评估日期 (YYYY-MM-DD), 评估结论 (能力完好/轻度失能/中度失能/重度失能),
optional 总分, 备注. Validate-then-commit: any bad row is reported with its row number and nothing is written.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from openpyxl import load_workbook

from ylyx.accounts.models import User
from ylyx.assessments import services
from ylyx.people.models import ElderlyPerson

HEADERS = {"身份证号": "id_number", "评估日期": "assessed_on", "评估结论": "result", "总分": "total", "备注": "note"}


class Command(BaseCommand):
    help = "导入 MZ/T 039-2013 历史评估结果（标记为历史数据）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True)

    def handle(self, *args, **o):
        user = User.objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"用户 {o['user']} 不存在")
        ws = load_workbook(o["file"], read_only=True, data_only=True).worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        missing = [h for h in ("身份证号", "评估日期", "评估结论") if h not in header]
        if missing:
            raise CommandError(f"第1行缺少列：{'、'.join(missing)}")
        col = {HEADERS[h]: i for i, h in enumerate(header) if h in HEADERS}
        people = ElderlyPerson.objects.for_user(user, "view")
        out, errors = [], []
        for n, row in enumerate(rows, start=2):
            get = lambda k: row[col[k]] if k in col and col[k] < len(row) else None  # noqa: E731, B023
            raw, on = str(get("id_number") or "").strip(), get("assessed_on")
            try:
                person = ElderlyPerson.lookup_by_id_number(people, raw).first() if raw else None
            except ValidationError:
                person = None
            if isinstance(on, dt.datetime):
                on = on.date()
            elif isinstance(on, str):
                try:
                    on = dt.date.fromisoformat(on.strip())
                except ValueError:
                    errors.append(f"第{n}行：评估日期应为 YYYY-MM-DD")
                    continue
            total = get("total")
            out.append({"person": person, "assessed_on": on, "result": get("result") or "",
                        "total": int(total) if isinstance(total, int | float) else None, "note": get("note") or ""})
        if errors:
            raise CommandError("；".join(errors))
        try:
            made = services.import_legacy(user, out)
        except ValidationError as e:
            # the service numbers data rows from 1; the workbook's first data row is row 2
            raise CommandError("；".join(m.replace("第", "数据第", 1) for m in e.messages)) from e
        except PermissionDenied as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"已导入 {len(made)} 条历史评估（MZ/T 039-2013，标记为历史数据）")
