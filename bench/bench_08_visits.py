"""探访 month generation for the full-scale demo city: one visit task per older person in special difficulty.

In the bench database (rolled back): a city rule (独居/空巢/留守/孤寡, 特困/低保, 一二级残疾, 计生特殊家庭, 80+),
a narrower rule for one county, one visitor per town. Times: generating a month (set-based INSERT … SELECT
per rule, then one UPDATE per visitor area for assignment), generating it again (idempotent: nothing new),
the monthly visit rate per county through the indicator engine after visits to 70% of the tasks, and the
busiest visitor's phone task list (JSON). Target: generation under 5 s.
"""

from __future__ import annotations

import time

import common

TARGET_S = 5.0


def _s(t0: float) -> float:
    return round(time.perf_counter() - t0, 2)


def run() -> dict:
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from ylyx.accounts.models import User
    from ylyx.indicators import formulas as IF
    from ylyx.indicators.selectors import gather
    from ylyx.people.models import ElderlyPerson
    from ylyx.regions.models import Region
    from ylyx.visits import services
    from ylyx.visits.models import Visit, VisitorArea, VisitRule, VisitTask

    if not User.objects.filter(username="demo_minzheng").exists():
        common.note("no demo city in the bench database (run the build benchmark first)")
        return {"skipped": "no demo city"}
    city = Region.objects.get(code="150800000000")
    counties = list(Region.objects.filter(parent=city).order_by("code"))
    towns = list(Region.objects.filter(level=4, code__startswith="1508").order_by("code"))
    from django.utils import timezone

    month = timezone.localdate().replace(day=1)
    out: dict = {}
    with transaction.atomic():
        # the demo city has its own rule, visitors and tasks: set them aside (all rolled back at the end)
        VisitRule.objects.unscoped("bench").update(active=False)
        VisitorArea.objects.unscoped("bench").all().delete()
        Visit.objects.unscoped("bench").filter(task__month=month).delete()
        VisitTask.objects.unscoped("bench").filter(month=month).delete()
        VisitRule.objects.create(region=city, name="全市特殊困难老年人", living_situations=[
            "alone", "empty_nest", "left_behind", "gugua"], economic_statuses=["tekun", "dibao"],
            disability_grades=["1", "2"], special_family=True, age_always=80)
        VisitRule.objects.create(region=counties[-1], name="县级规则：独居、特困", living_situations=["alone"],
                                 economic_statuses=["tekun"])
        visitors = User.objects.bulk_create([User(username=f"bench_visitor_{t.code}", role="town_officer", region=t,
                                                  display_name=f"{t.name}网格员", password="!") for t in towns])
        VisitorArea.objects.bulk_create([VisitorArea(visitor=u, region=t) for u, t in zip(visitors, towns, strict=True)])
        elderly = ElderlyPerson.objects.unscoped("bench").count()

        t0 = time.perf_counter()
        res = services.generate_month(None, city, month, assign=False)
        insert_s = _s(t0)
        t1 = time.perf_counter()
        res["assigned"] = services.assign_month(None, city, month)
        assign_s = _s(t1)
        gen_s = _s(t0)
        t0 = time.perf_counter()
        again = services.generate_month(None, city, month)
        again_s = _s(t0)

        # visits to 70% of the tasks, written in bulk (the services are measured in the tests, not here)
        tasks = list(VisitTask.objects.unscoped("bench").filter(month=month).values_list(
            "id", "person_id", "region_id", "assignee_id"))
        visited = [t for i, t in enumerate(tasks) if i % 10 < 7 and t[3]]
        Visit.objects.bulk_create([Visit(task_id=t[0], person_id=t[1], region_id=t[2], visitor_id=t[3],
                                         visited_on=month) for t in visited], batch_size=2000)
        VisitTask.objects.unscoped("bench").filter(pk__in=[t[0] for t in visited]).update(status="done",
                                                                                             done_count=1)
        t0 = time.perf_counter()
        g = gather(city, [timezone.localdate()], IF.metrics_for(["monthly_visit_rate"]))
        rate_s = _s(t0)
        vals = g.at(0)
        rows = []
        for c in [city, *counties]:
            due = vals["visit_tasks_due"].get(c.code, 0)
            seen = vals["visit_tasks_visited"].get(c.code, 0)
            rows.append([c.name, f"{due:,.0f}", f"{seen:,.0f}", f"{100 * seen / due:.1f}%" if due else "—"])

        busiest = (VisitTask.objects.unscoped("bench").filter(month=month).values("assignee_id")
                   .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id")).order_by("-n").first())
        phone_ms = None
        if busiest:
            VisitTask.objects.unscoped("bench").filter(assignee_id=busiest["assignee_id"]).update(status="pending")
            client = Client()
            client.force_login(User.objects.get(pk=busiest["assignee_id"]))
            url = reverse("visits:mobile_tasks")
            ms = common.timed(lambda: client.get(url), 10, warmup=2)
            phone_ms = common.summary(ms)
        transaction.set_rollback(True)

    print(f"    {elderly:,} older people; month {month:%Y-%m}: {res['created']:,} tasks generated and "
          f"{res['assigned']:,} assigned in {gen_s:.2f} s (target {TARGET_S:g} s: "
          f"{TARGET_S / gen_s if gen_s else float('inf'):.1f}× inside it; insert {insert_s:.2f} s, assignment "
          f"to {len(towns)} town visitors {assign_s:.2f} s); again: {again['created']} new in {again_s:.2f} s")
    print(f"    monthly visit rate for the city and its counties in {rate_s:.2f} s (70% of tasks visited):")
    common.table(["区划", "应探访", "已探访", "探访率"], rows)
    if phone_ms:
        print(f"    phone task list of the busiest visitor ({busiest['n']} tasks): p50 {phone_ms['p50_ms']} ms, "
              f"p95 {phone_ms['p95_ms']} ms")
    out.update({"elderly": elderly, "tasks": res["created"], "assigned": res["assigned"], "generate_s": gen_s, "insert_s": insert_s, "assign_s": assign_s,
                "regenerate_s": again_s, "rate_s": rate_s, "target_s": TARGET_S, "rates": rows,
                "phone_tasks": busiest["n"] if busiest else 0, "phone_ms": phone_ms})
    return out


if __name__ == "__main__":
    common.setup_django()
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=1, default=str))
