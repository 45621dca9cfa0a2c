from django.conf import settings
from django.urls import NoReverseMatch, reverse

from ylyx.core.permissions import Resource, allows

NAV: list[tuple[Resource | tuple[Resource, ...], str, str]] = [
    ("institution", "institutions:list", "机构"),
    ("elderly", "people:elderly_list", "老年人"),
    ("infant", "people:infant_list", "婴幼儿"),
    ("practitioner", "workforce:list", "从业人员"),
    ("indicator", "indicators:dashboard", "规划指标"),
    ("institution", "workspace:map", "机构地图"),
    ("project", "planning:gaps", "规划测算"),
    ("reported_value", "indicators:reported_list", "指标填报"),
    (("inspection", "credit", "complaint", "incident"), "supervision:home", "综合监管"),
    ("assessment", "assessments:list", "能力评估"),
    ("subsidy", "subsidies:home", "补贴"),
    ("visit", "visits:task_list", "探访关爱"),
    (("home_service", "timebank"), "care:home", "居家服务与时间银行"),
    ("audit", "audit:list", "审计日志"),
]
IMPORTABLE: tuple[Resource, ...] = ("institution", "elderly", "infant", "practitioner")
EXPORTABLE: tuple[Resource, ...] = ("institution", "elderly", "infant", "practitioner", "audit")  # lists whose exports may be jobs


def platform(request):
    items = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        for resource, name, label in NAV:
            resources = resource if isinstance(resource, tuple) else (resource,)
            if name == "workspace:map" and user.role == "operator":
                continue  # the map shows regions; an operator is scoped to one institution
            if any(allows(user.role, r, "view") for r in resources):
                try:
                    items.append({"url": reverse(name), "label": label})
                except NoReverseMatch:
                    continue
        if any(allows(user.role, r, "import") for r in IMPORTABLE):
            try:
                items.append({"url": reverse("imports:index"), "label": "Excel 导入"})
            except NoReverseMatch:
                pass
        for show, name, label in ((any(allows(user.role, r, "export") for r in EXPORTABLE), "imports:exports", "我的导出"),
                                  (allows(user.role, "export", "approve"), "imports:export_approvals", "导出审批")):
            if show:
                try:
                    items.append({"url": reverse(name), "label": label})
                except NoReverseMatch:
                    pass
    return {"PLATFORM_NAME": "一老一小服务平台", "DEBUG": settings.DEBUG, "nav_items": items}
