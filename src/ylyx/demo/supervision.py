"""综合监管 in the demo city: a year (2025) of plans, verifiable draws, inspections, rectification,
publication, credit, complaints and incidents, and an unfinished 2026 that fills the officials' clock.

Deterministic: every choice comes from the build's seeded generator and fixed dates, and the draws use
seeds derived from the build seed (``task_commit(seed=…)``, a demo-only argument), so two builds give the
same records. The operations go through the supervision services (rules, credit events, list rules,
audit); the dates the services would stamp with "now" (commitment, draw, publication, incident times)
are then set to the historical dates the story needs. All records are synthetic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

import numpy as np
from django.utils import timezone

TZ = timezone.get_fixed_timezone(8 * 60)
D = dt.date


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _seed_hex(build_seed: int, label: str) -> str:
    return hashlib.sha256(f"ylyx-demo:{build_seed}:{label}".encode()).hexdigest()


def build(seed: int, rng: np.random.Generator, log: Callable[[str], None] = print) -> dict[str, int]:
    from ylyx.accounts.models import User
    from ylyx.institutions.models import Institution
    from ylyx.regions.models import Region
    from ylyx.supervision import checklists, services
    from ylyx.supervision.models import (
        Inspection,
        InspectionStatus,
        InspectionTask,
        Inspector,
        InspectorConflict,
        ItemResult,
    )
    from ylyx.supervision.workdays import WorkCalendar

    cal = WorkCalendar()
    city = Region.objects.get(code="150800000000")
    counties = list(Region.objects.filter(parent=city).order_by("code"))
    minzheng = User.objects.get(username="demo_minzheng")
    weijian = User.objects.get(username="demo_weijian")
    jiancha = User.objects.get(username="demo_jiancha")
    officer = {"elder": minzheng, "childcare": weijian}

    # --- the roster: city inspectors of both bureaus, two per county and bureau -------------------
    roster = []
    n = 0
    for dom, dept in (("elder", "民政局"), ("childcare", "卫生健康委员会")):
        for i in range(6):
            n += 1
            roster.append(Inspector(code=f"JC1508{n:03d}", name=f"演示检查员{n:03d}", department=f"巴彦淖尔市{dept}",
                                    region=city, domains=[dom] if i else ["elder", "childcare"]))
        for c in counties:
            for _ in range(2):
                n += 1
                roster.append(Inspector(code=f"JC{c.code[:6]}{n:03d}", name=f"演示检查员{n:03d}",
                                        department=f"{c.name}{dept}", region=c, domains=[dom]))
    roster[0].user = jiancha
    Inspector.objects.bulk_create(roster)
    roster = list(Inspector.objects.order_by("id"))
    insts = list(Institution.objects.order_by("id"))
    pick = rng.choice(len(insts), size=min(6, len(insts)), replace=False)
    InspectorConflict.objects.bulk_create([
        InspectorConflict(inspector=roster[int(k) % len(roster)], institution=insts[int(j)], reason="亲属在该机构任职（演示）",
                          declared_on=D(2025, 1, 10)) for k, j in enumerate(pick)])

    counts = {"plans": 0, "tasks": 0, "inspections": 0, "published": 0, "complaints": 0, "incidents": 0}
    results = {"pass": 0.7, "minor": 0.2, "fail": 0.1}

    def inspect(task: InspectionTask, start: dt.date, end: dt.date, finish_until: dt.date | None,
                publish_until: dt.date | None) -> None:
        """Complete the task's inspections between ``start`` and ``end`` (those dated up to ``finish_until``),
        publish them (up to ``publish_until``), mostly on time."""
        span = (end - start).days
        for insp in Inspection.objects.unscoped("demo build").filter(task=task).select_related("institution"
                                                                                               ).order_by("id"):
            on = start + dt.timedelta(days=int(rng.integers(0, span)))
            if finish_until is not None and on > finish_until:
                continue
            _complete(insp, on, publish_until)
        services._task_rollup(task)

    def _complete(insp: Inspection, on: dt.date, publish_until: dt.date | None) -> None:
        user = officer[insp.domain]
        cl = checklists.get(insp.checklist)
        outcome = str(rng.choice(list(results), p=list(results.values())))
        fails: list = []
        if outcome == "minor":
            pool = [i for i in cl.items if i.severity != "high"]
            fails = [pool[int(k)] for k in rng.choice(len(pool), size=int(rng.integers(1, 3)), replace=False)]
        elif outcome == "fail":
            high = [i for i in cl.items if i.severity == "high"]
            fails = [high[int(rng.integers(0, len(high)))]]
        failed = {i.code for i in fails}
        ItemResult.objects.bulk_create([
            ItemResult(inspection=insp, code=i.code, text=i.text, basis=i.basis, severity=i.severity,
                       result="fail" if i.code in failed else "pass",
                       note=f"现场发现：{i.text[:14]}…未落实（演示）" if i.code in failed else "") for i in cl.items])
        Inspection.objects.unscoped("demo build").filter(pk=insp.pk).update(
            status=InspectionStatus.IN_PROGRESS, checked_in_at=_at(on, 9, int(rng.integers(0, 59))))
        done = services.inspection_complete(user, insp, outcome, "演示检查记录", on=on)
        counts["inspections"] += 1
        if publish_until is None:
            return
        late = rng.random() < 0.08
        k = int(rng.integers(21, 30)) if late else int(rng.integers(2, 19))
        when = cal.deadline(on, k, provisional=True).on
        if when > publish_until:
            return
        publish(done, user, when)

    def publish(insp: Inspection, user, on: dt.date) -> None:
        """公示 on a past date: the state the publication service leaves, written in one update (the demo's
        thousands of publications would otherwise dominate the build; the service is tested on its own)."""
        from ylyx.supervision.views import default_public_summary

        Inspection.objects.unscoped("demo build").filter(pk=insp.pk).update(
            status=InspectionStatus.PUBLISHED, public_summary=default_public_summary(insp), published_at=_at(on, 15),
            published_by=user)
        counts["published"] += 1

    def reinspect(until: dt.date) -> None:
        """Re-inspect, after their deadlines, most institutions with open orders; some stay overdue."""
        from ylyx.supervision.models import Rectification

        open_by_inst: dict[int, list] = {}
        for r in Rectification.objects.unscoped("demo build").exclude(status="closed").order_by("id"):
            open_by_inst.setdefault(r.institution_id, []).append(r)
        for rects in open_by_inst.values():
            last = max(r.deadline for r in rects)
            on = last + dt.timedelta(days=int(rng.integers(3, 20)))
            if on > until or rng.random() < 0.15:
                continue
            inst = rects[0].institution
            dom = "childcare" if inst.kind == "childcare" else "elder"
            conflicted = set(InspectorConflict.objects.filter(institution=inst).values_list("inspector_id", flat=True))
            team = [i for i in roster if dom in i.domains and i.pk not in conflicted
                    and not i.region_id.startswith(inst.region_id[:6])][:2]
            re = services.reinspection_create(officer[dom], inst, team, reason="整改复查（演示）")
            cl = checklists.get(re.checklist)
            ItemResult.objects.bulk_create([ItemResult(inspection=re, code=i.code, text=i.text, basis=i.basis,
                                                       severity=i.severity, result="pass") for i in cl.items])
            done = services.inspection_complete(officer[dom], re, "pass", "整改复查通过（演示）", on=on)
            counts["inspections"] += 1
            publish(done, officer[dom], cal.deadline(on, int(rng.integers(2, 15)), provisional=True).on)

    def draw(plan, name: str, start: dt.date, end: dt.date, committed: dt.datetime, drawn: dt.datetime | None):
        task = services.task_create(officer[plan.domain], plan, name, start, end)
        task = services.task_commit(officer[plan.domain], task, on=committed.date(),
                                    seed=_seed_hex(seed, f"{plan.year}-{plan.domain}-{name}"))
        if drawn is not None:
            time.sleep(0.002)  # the draw is strictly later than the commitment, in the audit trail too
            task = services.task_draw(officer[plan.domain], task, witness=f"{drawn:%Y%m%d}")
        InspectionTask.objects.unscoped("demo build").filter(pk=task.pk).update(
            committed_at=committed, drawn_at=drawn)
        counts["tasks"] += 1
        return task

    # --- 2025: the whole year ----------------------------------------------------------------------
    for year in (2025, 2026):
        for dom, kinds, ratio, dept in (("elder", ["elder", "community"], "0.15", "巴彦淖尔市民政局"),
                                        ("childcare", ["childcare"], "0.2", "巴彦淖尔市卫生健康委员会")):
            plan = services.plan_create(officer[dom], {
                "title": f"{year}年{'养老机构' if dom == 'elder' else '托育机构'}“双随机、一公开”抽查计划",
                "year": year, "region": city, "department": dept, "domain": dom, "kinds": kinds, "ratio": ratio,
                "recuse_employer_region": True, "period_start": D(year, 3, 1), "period_end": D(year, 12, 31)})
            counts["plans"] += 1
            if year == 2025:
                t1 = draw(plan, "第一批", D(2025, 3, 1), D(2025, 6, 30), _at(D(2025, 3, 3)), _at(D(2025, 3, 5), 9))
                inspect(t1, D(2025, 3, 10), D(2025, 6, 25), None, D(2025, 12, 31))
                t2 = draw(plan, "第二批", D(2025, 9, 1), D(2025, 11, 30), _at(D(2025, 9, 1)), _at(D(2025, 9, 3), 9))
                inspect(t2, D(2025, 9, 8), D(2025, 11, 25), None, D(2025, 12, 31))
            else:
                t1 = draw(plan, "第一批", D(2026, 3, 1), D(2026, 11, 30), _at(D(2026, 3, 2)), _at(D(2026, 3, 4), 9))
                inspect(t1, D(2026, 3, 9), D(2026, 11, 27), D(2026, 11, 27), D(2026, 11, 13))
                draw(plan, "第二批", D(2026, 12, 1), D(2026, 12, 31), _at(D(2026, 11, 30)), None)
        if year == 2025:
            reinspect(D(2025, 12, 31))
            services.escalate_overdue_rectifications(D(2025, 12, 31))
    reinspect(D(2026, 11, 27))
    services.escalate_overdue_rectifications(D(2026, 11, 30))

    # --- credit: commendations and a fraud case (black list) ------------------------------------------
    cc = [i for i in insts if i.kind == "childcare" and i.opened_on and i.opened_on < D(2024, 1, 1)]
    elder = [i for i in insts if i.kind == "elder" and i.status == "operating"]
    if cc:
        fraud = cc[int(rng.integers(0, len(cc)))]
        services.credit_event_record(weijian, fraud, "subsidy_fraud", on=D(2025, 6, 10),
                                     note="虚报在托人数申领运营补贴（演示）")
    for inst in [elder[int(k)] for k in rng.choice(len(elder), size=min(3, len(elder)), replace=False)]:
        services.credit_event_record(minzheng, inst, "commendation", on=D(2025, 12, 20), note="年度优秀养老机构（演示）")

    # --- complaints ---------------------------------------------------------------------------------
    cats = ["服务质量", "收费", "安全隐患", "餐饮卫生", "护理不到位", "虐待疑似"]
    operating = [i for i in insts if i.status == "operating"]
    for year, count in ((2025, 24), (2026, 10)):
        for _ in range(count):
            inst = operating[int(rng.integers(0, len(operating)))]
            received = D(year, 1, 6) + dt.timedelta(days=int(rng.integers(0, 320)))
            dom = "childcare" if inst.kind == "childcare" else "elder"
            comp = services.complaint_intake(officer[dom], {
                "channel": str(rng.choice(["phone", "hotline", "web", "letter"])), "received_on": received,
                "institution": inst, "category": cats[int(rng.integers(0, len(cats)))],
                "summary": "群众反映该机构存在问题（演示）", "anonymous": bool(rng.random() < 0.3),
                "complainant_name": "", "complainant_phone": ""})
            counts["complaints"] += 1
            closed = received + dt.timedelta(days=int(rng.integers(5, 30)))
            if closed < D(2026, 11, 20):
                outcome = str(rng.choice(["upheld", "partly", "unfounded"], p=[0.3, 0.2, 0.5]))
                services.complaint_close(officer[dom], comp, outcome, "已核查并答复投诉人（演示）", on=closed)

    # --- emergencies: a fall, a food poisoning, a heating failure with relocation; one still open -----------
    from ylyx.people.models import Residence

    linhe = [i for i in elder if i.region_id.startswith("150802")]
    story = [(linhe[0] if linhe else elder[0], "injury", "4", D(2025, 2, 11), 6, False, 0),
             (cc[0] if cc else elder[1], "food", "3", D(2025, 5, 20), 50, True, 0),
             (linhe[1] if len(linhe) > 1 else elder[1], "facility", "4", D(2025, 12, 8), 30, False, 2),
             (elder[-1], "fire", "4", D(2026, 11, 28), None, False, 0)]
    county = User.objects.get(username="demo_linhe")
    for inst, typ, sev, day, hours, liability, relocate in story:
        dom = "childcare" if inst.kind == "childcare" else "elder"
        actor = county if inst.region_id.startswith("150802") else officer[dom]
        inc = services.incident_report(actor, {"institution": inst, "type": typ, "severity": sev,
                                               "description": "演示突发事件", "people_affected": 12,
                                               "injured": 1 if typ != "facility" else 0})
        reported = _at(day, 8, 30)
        from ylyx.supervision.models import Incident, IncidentLog

        Incident.objects.unscoped("demo build").filter(pk=inc.pk).update(occurred_at=reported - dt.timedelta(
            minutes=40), reported_at=reported)
        IncidentLog.objects.unscoped("demo build").filter(incident=inc).update(at=reported)
        inc.refresh_from_db()
        if relocate and actor is county:
            targets = [i for i in linhe if i.pk != inst.pk and i.beds > 0]
            stays = Residence.objects.unscoped("demo build").filter(institution=inst, ended_on__isnull=True)[:relocate]
            for stay, target in zip(stays, targets[1:], strict=False):
                try:
                    services.incident_relocate(county, inc, person_kind="elderly", person=stay.person_id, to=target,
                                               on=day, reason="供暖故障，转移安置（演示）")
                except Exception as exc:  # noqa: BLE001 - a full target home is a valid outcome in the story
                    log(f"    转移安置未完成：{exc}")
        services.incident_log_add(actor, inc, "已启动应急预案，主管部门到场处置（演示）")
        if hours is not None:
            services.incident_close(officer[dom] if actor is not county else county, inc, "处置完毕（演示）",
                                    liability=liability, at=reported + dt.timedelta(hours=hours))
        # the log's own times follow the story (the services stamped the build time)
        logs = list(IncidentLog.objects.unscoped("demo build").filter(incident=inc).order_by("id"))
        step = dt.timedelta(hours=(hours or 4) / max(1, len(logs) - 1))
        for k, entry in enumerate(logs):
            IncidentLog.objects.unscoped("demo build").filter(pk=entry.pk).update(at=reported + step * k)
        counts["incidents"] += 1
    services.escalate_incidents(_at(D(2026, 11, 30), 12))
    return counts
