from django.conf import settings
from django.urls import NoReverseMatch, reverse

from ylyx.accounts.roles import allows

NAV = [
    ("institution", "institutions:list", "机构"),
    ("elderly", "people:elderly_list", "老年人"),
    ("infant", "people:infant_list", "婴幼儿"),
    ("practitioner", "workforce:list", "从业人员"),
    ("indicator", "indicators:dashboard", "规划指标"),
    ("reported_value", "indicators:reported_list", "指标填报"),
    (("inspection", "credit", "complaint", "incident"), "supervision:home", "综合监管"),
    ("audit", "audit:list", "审计日志"),
]
IMPORTABLE = ("institution", "elderly", "infant", "practitioner")


def platform(request):
    items = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        for resource, name, label in NAV:
            resources = resource if isinstance(resource, tuple) else (resource,)
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
    return {"PLATFORM_NAME": "一老一小服务平台", "DEBUG": settings.DEBUG, "nav_items": items}
