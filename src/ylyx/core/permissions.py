"""Roles and what each may do on each resource: the permission half of ``for_user``, for every app.

Resources and actions are ``Literal`` types, so mypy checks each ``allows(role, "resource", "action")`` call
site against this table's vocabulary, and a test checks the table, the models' ``scope_resource`` and the
call sites against each other.

Actions: view, add, change, delete, export, import, approve. Domains restrict writes: 民政 writes
elderly-care records, 卫健 writes childcare records (both may read the other's institutions).

``export``/``approve`` is the second person's approval of large or minors' exports (security.md PI-6): it
is held by the city departments and the county officers, and applies only to jobs of resources the
approver may export themselves, requested inside the approver's region subtree, never their own.

Supervision (综合监管) resources: ``inspection`` (plans, inspector roster, draws, inspections, rectification;
extra actions ``draw`` and ``publish``), ``credit`` (credit files, red/black lists; ``approve`` decides list
entries and appeals, ``appeal`` lets an operator object or apply for repair), ``complaint`` and ``incident``.
An inspector's rows are further limited to the inspections assigned to them (supervision/models.py).

``assessment`` (老年人能力评估, assessor qualifications) and ``subsidy`` (programmes, construction applications,
monthly batches, the ledger, recoveries, absences): ``approve`` on subsidy is the city's approval of
applications and batches; county officers review (``change``); operators apply (``add``) for their institution.

Planning (规划测算) resource: ``project`` (the project library 储备→开工→建成→运营, residential areas under
四同步, and the planning pages: gaps, circles, accessibility, siting). Demand norms belong to a plan and follow it.

Services to people: ``visit`` (探访 rules, tasks, records, follow-ups), ``home_service`` (catalogue, orders,
家庭养老床位, 助餐; an operator sees the orders dispatched to their institution) and ``timebank`` (volunteers,
hours, the time-bank ledger), held by the civil-affairs side down to the towns, read-only for leaders.
"""

from __future__ import annotations

from typing import Literal, get_args

from django.conf import settings
from django.db import models

Resource = Literal["institution", "elderly", "infant", "practitioner", "indicator", "reported_value", "region",
                   "export", "audit", "user", "inspection", "credit", "complaint", "incident",
                   "assessment", "subsidy", "project", "visit", "home_service", "timebank"]
Action = Literal["view", "add", "change", "delete", "export", "import", "approve", "draw", "publish", "appeal"]
RESOURCES: frozenset[str] = frozenset(get_args(Resource))
ACTIONS: frozenset[str] = frozenset(get_args(Action))


class Role(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", "市民政局管理员"
    HEALTH = "health", "市卫健委管理员"
    COUNTY_OFFICER = "county_officer", "旗县区工作人员"
    TOWN_OFFICER = "town_officer", "苏木乡镇/街道工作人员"
    INSPECTOR = "inspector", "检查人员"
    OPERATOR = "operator", "机构经办人"
    LEADER = "leader", "发改委/领导（只读）"
    AUDITOR = "auditor", "审计管理员"
    SYSADMIN = "sysadmin", "系统管理员"


ALL: set[Action] = {"view", "add", "change", "delete", "export", "import"}
RW: set[Action] = {"view", "add", "change", "export", "import"}
RO: set[Action] = {"view", "export"}
INSPECT: set[Action] = RW - {"import"} | {"draw", "publish"}

PERMISSIONS: dict[str, dict[Resource, set[Action]]] = {
    Role.CIVIL_AFFAIRS: {"institution": ALL, "elderly": RW, "practitioner": RW,
                         "indicator": ALL, "reported_value": RW | {"approve"}, "region": {"view"},
                         "export": {"approve"}, "inspection": INSPECT, "credit": RO | {"add", "change", "approve"},
                         "complaint": RO | {"add", "change"}, "incident": RO | {"add", "change"},
                         "project": ALL, "visit": RW, "home_service": RW, "timebank": RW},
    Role.HEALTH: {"institution": ALL, "infant": RW, "practitioner": RW,
                  "indicator": ALL, "reported_value": RW | {"approve"}, "region": {"view"},
                  "export": {"approve"}, "inspection": INSPECT, "credit": RO | {"add", "change", "approve"},
                  "complaint": RO | {"add", "change"}, "incident": RO | {"add", "change"},
                  "project": ALL},
    Role.COUNTY_OFFICER: {"institution": RW, "elderly": RW, "infant": RW, "practitioner": RW,
                          "indicator": {"view", "export", "add", "change"}, "reported_value": RW,
                          "region": {"view"}, "export": {"approve"}, "inspection": INSPECT,
                          "credit": RO | {"add", "change"}, "complaint": RO | {"add", "change"},
                          "incident": RO | {"add", "change"}, "project": RW,
                          "visit": RW, "home_service": RW, "timebank": RW},
    Role.TOWN_OFFICER: {"institution": RO, "elderly": RW, "infant": RW, "practitioner": RO,
                        "indicator": RO, "region": {"view"}, "complaint": {"view", "add"},
                        "incident": {"view", "add", "change"}, "project": RO,
                        "visit": RW, "home_service": RW, "timebank": RW},
    Role.INSPECTOR: {"institution": RO, "practitioner": {"view"}, "region": {"view"},
                     "inspection": {"view", "change", "export"}, "credit": {"view"}},
    Role.OPERATOR: {"institution": {"view", "change"}, "elderly": {"view"}, "infant": {"view"},
                    "practitioner": {"view", "add", "change"}, "inspection": {"view", "change"},
                    "credit": {"view", "appeal"}, "incident": {"view", "add", "change"},
                    "home_service": {"view", "change"}},
    Role.LEADER: {"institution": RO, "indicator": RO, "reported_value": {"view"}, "region": {"view"},
                  "inspection": RO, "credit": RO, "complaint": RO, "incident": RO, "project": RO,
                  "visit": RO, "home_service": RO, "timebank": RO},
    Role.AUDITOR: {"audit": {"view", "export"}},
    Role.SYSADMIN: {"user": ALL, "region": {"view", "change"}},
}

# 老年人能力评估 and 补贴 (assessments and subsidies apps)
_EXTRA: dict[str, dict[Resource, set[Action]]] = {
    Role.CIVIL_AFFAIRS: {"assessment": RW, "subsidy": RW | {"approve"}},
    Role.HEALTH: {"subsidy": RW | {"approve"}},
    Role.COUNTY_OFFICER: {"assessment": RW, "subsidy": RW},
    Role.TOWN_OFFICER: {"assessment": RW - {"import"}, "subsidy": {"view"}},
    Role.OPERATOR: {"assessment": {"view"}, "subsidy": {"view", "add", "change"}},
    Role.LEADER: {"assessment": RO, "subsidy": RO},
}
for _role, _rights in _EXTRA.items():
    PERMISSIONS[_role].update(_rights)

DOMAINS: dict[str, set[str] | None] = {
    Role.CIVIL_AFFAIRS: {"elder"},
    Role.HEALTH: {"childcare"},
}


def as_resource(name: str) -> Resource:
    """A resource name read from data (an import batch, an export job), checked against the vocabulary."""
    if name not in RESOURCES:
        raise ValueError(f"unknown resource {name!r}")
    return name  # type: ignore[return-value]


def allows(role: str, resource: Resource, action: Action) -> bool:
    return action in PERMISSIONS.get(role, {}).get(resource, set())


def domains_for(role: str) -> set[str] | None:
    """The domains a role may write in; None means no domain restriction."""
    return DOMAINS.get(role)


def requires_second_factor(role: str) -> bool:
    """Whether a role must use TOTP before reaching any data (SEC-AUTH-4); the list is ``OTP_REQUIRED_ROLES``."""
    return role in settings.OTP_REQUIRED_ROLES
