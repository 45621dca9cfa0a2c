"""Roles and what each may do on each resource: the permission half of ``for_user``.

Actions: view, add, change, delete, export, import. Domains restrict writes: 民政 writes elderly-care
records, 卫健 writes childcare records (both may read the other's institutions).

Supervision (综合监管) resources: ``inspection`` (plans, inspector roster, draws, inspections, rectification;
extra actions ``draw`` and ``publish``), ``credit`` (credit files, red/black lists; ``approve`` decides list
entries and appeals, ``appeal`` lets an operator object or apply for repair), ``complaint`` and ``incident``.
An inspector's rows are further limited to the inspections assigned to them (supervision/models.py).
"""

from __future__ import annotations

from django.db import models


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


ALL = {"view", "add", "change", "delete", "export", "import"}
RW = {"view", "add", "change", "export", "import"}
RO = {"view", "export"}
INSPECT = RW - {"import"} | {"draw", "publish"}

PERMISSIONS: dict[str, dict[str, set[str]]] = {
    Role.CIVIL_AFFAIRS: {"institution": ALL, "elderly": RW, "practitioner": RW,
                         "indicator": ALL, "reported_value": RW | {"approve"}, "region": {"view"},
                         "inspection": INSPECT, "credit": RO | {"add", "change", "approve"},
                         "complaint": RO | {"add", "change"}, "incident": RO | {"add", "change"}},
    Role.HEALTH: {"institution": ALL, "infant": RW, "practitioner": RW,
                  "indicator": ALL, "reported_value": RW | {"approve"}, "region": {"view"},
                  "inspection": INSPECT, "credit": RO | {"add", "change", "approve"},
                  "complaint": RO | {"add", "change"}, "incident": RO | {"add", "change"}},
    Role.COUNTY_OFFICER: {"institution": RW, "elderly": RW, "infant": RW, "practitioner": RW,
                          "indicator": {"view", "export", "add", "change"}, "reported_value": RW,
                          "region": {"view"}, "inspection": INSPECT, "credit": RO | {"add", "change"},
                          "complaint": RO | {"add", "change"}, "incident": RO | {"add", "change"}},
    Role.TOWN_OFFICER: {"institution": RO, "elderly": RW, "infant": RW, "practitioner": RO,
                        "indicator": RO, "region": {"view"}, "complaint": {"view", "add"},
                        "incident": {"view", "add", "change"}},
    Role.INSPECTOR: {"institution": RO, "practitioner": {"view"}, "region": {"view"},
                     "inspection": {"view", "change", "export"}, "credit": {"view"}},
    Role.OPERATOR: {"institution": {"view", "change"}, "elderly": {"view"}, "infant": {"view"},
                    "practitioner": {"view", "add", "change"}, "inspection": {"view", "change"},
                    "credit": {"view", "appeal"}, "incident": {"view", "add", "change"}},
    Role.LEADER: {"institution": RO, "indicator": RO, "reported_value": {"view"}, "region": {"view"},
                  "inspection": RO, "credit": RO, "complaint": RO, "incident": RO},
    Role.AUDITOR: {"audit": {"view", "export"}},
    Role.SYSADMIN: {"user": ALL, "region": {"view", "change"}},
}

DOMAINS: dict[str, set[str] | None] = {
    Role.CIVIL_AFFAIRS: {"elder"},
    Role.HEALTH: {"childcare"},
}


def allows(role: str, resource: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, {}).get(resource, set())


def domains_for(role: str) -> set[str] | None:
    """The domains a role may write in; None means no domain restriction."""
    return DOMAINS.get(role)
