"""The supervision section's own navigation: only the parts the user's role may open."""

from __future__ import annotations

from django import template
from django.urls import reverse

from ylyx.core.permissions import Resource, allows

register = template.Library()

SECTIONS: list[tuple[Resource, str, str]] = [
    ("inspection", "supervision:home", "监管首页"),
    ("inspection", "supervision:plan_list", "抽查计划"),
    ("inspection", "supervision:inspection_list", "检查"),
    ("inspection", "supervision:clock", "公示时钟"),
    ("inspection", "supervision:rectification_list", "整改"),
    ("inspection", "supervision:inspector_list", "检查人员名录"),
    ("credit", "supervision:credit_list", "红黑名单"),
    ("complaint", "supervision:complaint_list", "投诉举报"),
    ("incident", "supervision:incident_list", "突发事件"),
]


@register.inclusion_tag("supervision/_nav.html", takes_context=True)
def supervision_nav(context):
    user = context["request"].user
    role = getattr(user, "role", "")
    links = [(reverse(name), label) for resource, name, label in SECTIONS if allows(role, resource, "view")]
    if role == "operator":  # operators: their inspections and orders, not plans, the clock or the roster
        links = [x for x in links if x[1] in ("检查", "整改", "红黑名单", "突发事件")]
    if role == "operator" and getattr(user, "institution_id", None):
        links.append((reverse("supervision:credit_institution", args=[user.institution_id]), "本机构信用档案"))
    links.append((reverse("supervision_public:index"), "公开公示"))
    return {"links": links, "path": context["request"].path}
