"""The draw on the platform: commit before draw (audit trail), frozen pools, inspections, verification."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.supervision import draw as D
from ylyx.supervision import services
from ylyx.supervision.models import Inspection, InspectorConflict, TaskStatus

from .conftest import commit_and_draw

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(plan, users):
    return services.task_create(users["civil_affairs"], plan, "第一批", dt.date(2025, 3, 1), dt.date(2025, 6, 30))


def test_commitment_is_published_before_the_draw_in_the_audit_trail(task, users, monkeypatch):
    user = users["civil_affairs"]
    task = services.task_commit(user, task, on=dt.date(2025, 3, 1))
    assert task.commitment and not task.seed and task.seed_enc
    later = timezone.now() + dt.timedelta(seconds=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    task = services.task_draw(user, task, witness="4711")
    commit = AuditEvent.objects.get(event_type="draw_commit", object_id=str(task.pk))
    drawn = AuditEvent.objects.get(event_type="draw_perform", object_id=str(task.pk))
    assert commit.occurred_at < drawn.occurred_at and commit.pk < drawn.pk
    assert commit.detail["commitment"] == task.commitment == D.commitment_of(task.seed)
    assert drawn.detail["seed"] == task.seed
    assert task.committed_at < task.drawn_at


def test_a_draw_at_the_commitment_instant_is_refused(task, users, monkeypatch):
    user = users["civil_affairs"]
    task = services.task_commit(user, task, on=dt.date(2025, 3, 1))
    monkeypatch.setattr(timezone, "now", lambda: task.committed_at)
    with pytest.raises(ValidationError, match="须晚于承诺公布时间"):
        services.task_draw(user, task)


def test_one_commitment_per_task(task, users):
    user = users["civil_affairs"]
    services.task_commit(user, task, on=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError, match="不能重新生成"):
        services.task_commit(user, task, on=dt.date(2025, 3, 1))


def test_draw_creates_inspections_with_two_unrecused_inspectors_and_verifies(task, users, roster, homes):
    user = users["civil_affairs"]
    target = homes["linhe"][0]
    InspectorConflict.objects.create(inspector=roster["city1"], institution=target, reason="亲属在该院工作",
                                     declared_on=dt.date(2025, 1, 1))
    task = commit_and_draw(user, task)
    assert task.status == TaskStatus.DRAWN
    doc = services.task_document(task)
    assert D.verify_document(json.loads(json.dumps(doc))) == []
    insps = list(Inspection.objects.unscoped("test").filter(task=task).prefetch_related("assignments"))
    assert len(insps) == len(doc["result"]["selected"]) >= 4  # 8 homes × 0.5 × weight 1 (class B)
    for insp in insps:
        ids = {a.inspector_id for a in insp.assignments.all()}
        assert len(ids) == 2
        if insp.institution_id == target.pk:
            assert roster["city1"].pk not in ids
    frozen = {i["id"]: i for i in doc["inspectors"]}
    assert target.pk in frozen[roster["city1"].pk]["recused"]
    assert "亲属" not in json.dumps(doc, ensure_ascii=False)  # the reason stays internal
    assert "检查员" not in json.dumps(doc, ensure_ascii=False)  # no names in the public data


def test_pools_are_frozen_at_commit(task, users, homes, tree):
    user = users["civil_affairs"]
    task = services.task_commit(user, task, on=dt.date(2025, 3, 1))
    testing.make_institution(tree["linhe_town"], name="抽取前新增的养老院", opened_on=dt.date(2015, 1, 1))
    import time

    time.sleep(0.002)
    task = services.task_draw(user, task)
    assert "抽取前新增的养老院" not in task.targets_json


def test_verify_draw_command_from_database_and_file(task, users, tmp_path, capsys):
    task = commit_and_draw(users["civil_affairs"], task)
    call_command("verify_draw", str(task.pk))
    assert "核验通过" in capsys.readouterr().out
    path = tmp_path / "d.json"
    doc = services.task_document(task)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    call_command("verify_draw", "--file", str(path))
    assert "核验通过" in capsys.readouterr().out
    doc["targets"][0]["name"] += "x"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="核验未通过"):
        call_command("verify_draw", "--file", str(path))


def test_credit_class_weights_and_forced_targets_enter_the_pool(plan, users, homes, tree):
    from ylyx.supervision.models import CreditRating

    CreditRating.objects.create(institution=homes["linhe"][1], region_id=homes["linhe"][1].region_id,
                                domain="elder", year=2024, points=60, credit_class="D", scale="x")
    fresh = testing.make_institution(tree["linhe_town"], name="新开的养老院", opened_on=dt.date(2024, 12, 1))
    pools = services.build_pools(plan, dt.date(2025, 3, 1))
    by_id = {t.id: t for t in pools.targets}
    assert by_id[homes["linhe"][1].pk].credit_class == "D"
    assert by_id[homes["linhe"][0].pk].credit_class == "B"  # no rating: the configured default
    assert by_id[fresh.pk].forced == "新开业"


def test_only_a_role_with_draw_right_in_scope_may_commit(task, users, tree):
    with pytest.raises(PermissionDenied):
        services.task_commit(users["leader"], task)
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    with pytest.raises(PermissionDenied):
        services.task_commit(wuyuan, task)  # a city plan is not a county officer's to draw
    health = users["health"]
    with pytest.raises(PermissionDenied):
        services.task_commit(health, task)  # 卫健 does not draw 民政's elderly-care plan


def test_the_ylyx_entry_point_maps_verify_draw(task, users, tmp_path, monkeypatch, capsys):
    from ylyx import cli

    task = commit_and_draw(users["civil_affairs"], task)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(services.task_document(task), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["ylyx", "verify-draw", "--file", str(path)])
    cli.main()
    assert "核验通过" in capsys.readouterr().out
