"""Supervision fixtures: a roster of inspectors, institutions in both counties, a plan of 临河区."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.supervision import services
from ylyx.supervision.models import Inspector


@pytest.fixture
def photo_dir(tmp_path, settings):
    settings.SUPERVISION = {**settings.SUPERVISION, "attachments_dir": tmp_path / "photos"}
    return tmp_path / "photos"


@pytest.fixture
def roster(tree, users):
    """Two city inspectors (one is users["inspector"]'s login), one of 临河区, one of 五原县."""
    mk = lambda code, region, user=None, domains=("elder", "childcare"): Inspector.objects.create(  # noqa: E731
        code=code, name=f"检查员{code}", department="市民政局" if region.level == 2 else f"{region.name}民政局",
        region=region, domains=list(domains), user=user)
    return {"city1": mk("JC001", tree["city"], users["inspector"]), "city2": mk("JC002", tree["city"]),
            "linhe": mk("JC003", tree["linhe"]), "wuyuan": mk("JC004", tree["wuyuan"]),
            "city3": mk("JC005", tree["city"])}


@pytest.fixture
def homes(tree):
    """Six elderly-care institutions in 临河区, two in 五原县."""
    linhe = [testing.make_institution(tree["linhe_town"], name=f"临河养老院{i}", opened_on=dt.date(2015, 1, 1))
             for i in range(6)]
    wuyuan = [testing.make_institution(tree["wuyuan_town"], name=f"五原养老院{i}", opened_on=dt.date(2015, 1, 1))
              for i in range(2)]
    return {"linhe": linhe, "wuyuan": wuyuan}


@pytest.fixture
def plan(tree, users, homes, roster):
    return services.plan_create(users["civil_affairs"], {
        "title": "2025年养老机构双随机抽查计划", "year": 2025, "region": tree["city"], "department": "市民政局",
        "domain": "elder", "kinds": ["elder"], "ratio": "0.5", "period_start": dt.date(2025, 1, 1),
        "period_end": dt.date(2025, 12, 31)})


def commit_and_draw(user, task, witness: str = "") -> object:
    import time

    task = services.task_commit(user, task, on=dt.date(2025, 3, 1))
    time.sleep(0.002)
    return services.task_draw(user, task, witness)
