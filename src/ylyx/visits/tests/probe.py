"""探访 and 居家服务 records of the neighbouring county for the cross-county probe (tests/test_neighbour_probe.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def make_neighbour_records(tree: dict, elderly: Any, inst: Any, user: Any, mark: str) -> list[int]:
    from ylyx import testing
    from ylyx.care import services as care
    from ylyx.care.models import ServiceItem
    from ylyx.visits import services
    from ylyx.visits.models import VisitorArea, VisitTask

    services.save_rule(user, region=tree["wuyuan"], name=f"{mark}规则", living_situations=["with_family"])
    VisitorArea.objects.create(visitor=user, region=tree["wuyuan_village"])
    services.generate_month(user, tree["wuyuan"], dt.date.today().replace(day=1))
    task = VisitTask.objects.unscoped("probe set-up").get(person=elderly)
    visit, _ = services.record_visit(user, task, {"visited_on": dt.date.today().isoformat(), "health": f"{mark}健康",
                                                  "risks": ["health"]})
    volunteer = care.register_volunteer(user, region=tree["wuyuan_village"], name=f"{mark}志愿者",
                                        id_number=testing.fake_id_number(dt.date(1980, 1, 1), "M", "150821"),
                                        registered_on=dt.date(2025, 1, 1), organisation=f"{mark}协会")
    link = care.link_family(user, elderly, member_name=f"{mark}家属", relation="子", may_order=True,
                            consent_on=dt.date(2025, 1, 1), consent_method="书面签字")
    item = ServiceItem.objects.create(region=tree["wuyuan"], provider=inst, category="clean", name=f"{mark}保洁",
                                      price="30.00")
    order = care.place_order(user, elderly, item, wanted_on=dt.date.today() + dt.timedelta(days=1),
                             ordered_by="family", family_link=link)
    return [task.pk, visit.pk, volunteer.pk, link.pk, item.pk, order.pk, *visit.followups.values_list("pk", flat=True)]
