"""List filters for 老年人 and 婴幼儿 (pages and API share them).

Every filter is a range or equality on an indexed column, or an EXISTS on an indexed foreign key, so a
list of the demo city's 325,000 elderly people stays fast: ages become birth-date ranges, the region
becomes a code-prefix range.
"""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Prefetch, Q

from ylyx.core.scoping import prefix_q
from ylyx.regions.models import Region

from .identity import months_before, today, years_before
from .models import Disability, EconomicStatus, ElderlyPerson, Enrolment, Infant, LivingSituation, Residence

OUTER = "correlated with, or prefetched for, rows the list already scoped to the user"

YES_NO = [("1", "是"), ("0", "否")]
SEX = [("M", "男"), ("F", "女")]
ALL = "全部"


def open_today() -> Q:
    on = today()
    return (Q(ended_on__isnull=True) | Q(ended_on__gt=on)) & Q(started_on__lte=on)


def current(model, link: str):
    """EXISTS an open stay today (入住 or 入托) for the outer person: for filtering."""
    return Exists(model.objects.unscoped(OUTER).filter(open_today(), **{link: OuterRef("pk")}))


def open_stays(related_name: str, model) -> Prefetch:
    """The open stays of the rows on one page, fetched in one query (``obj.open_stays``): for display.

    A prefetch rather than an annotated EXISTS, so a search that matches many rows does not evaluate
    the subquery for every match before the page is cut.
    """
    return Prefetch(related_name, queryset=model.objects.unscoped(OUTER).filter(open_today()), to_attr="open_stays")


def is_resident():
    return current(Residence, "person")


def is_enrolled():
    return current(Enrolment, "infant")


class AreaFilterSet(django_filters.FilterSet):
    """Adds a 区划 choice limited to the user's own counties and towns."""

    area = django_filters.ChoiceFilter(label="区划", method="filter_area", empty_label=ALL)

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        if not isinstance(self.filters["area"], django_filters.ChoiceFilter):
            return  # the API's free code (api_area)
        user = getattr(request, "user", None)
        scope = getattr(user, "region_prefix", "") if user is not None else ""
        choices = []
        if scope:
            for r in Region.objects.filter(prefix_q("code", scope), level__in=(3, 4)).order_by("code"):
                choices.append((r.code, ("　" if r.level == 4 else "") + r.name))
        self.filters["area"].extra["choices"] = choices

    def filter_area(self, qs, name, value: str):
        region = Region.objects.filter(code=value).first()
        if region is None:
            return qs.none()
        return qs.filter(prefix_q(qs.model.scope_region_field, region.prefix))


def api_area() -> django_filters.CharFilter:
    """The API's ``area``: any 12-digit code (the rows are already scoped, so a code outside the user's
    region matches nothing) instead of the page's list of the user's counties and towns."""
    return django_filters.CharFilter(label="区划", method="filter_area", help_text="12 位区划代码，含其下级区划",
                                     validators=[RegexValidator(r"^[0-9]{12}$", "区划代码应为 12 位数字")])


def _yes_no(qs, expr, value):
    return qs.filter(expr) if value == "1" else qs.exclude(expr)


class ElderlyFilter(AreaFilterSet):
    age_band = django_filters.ChoiceFilter(
        label="年龄段", method="filter_age", empty_label=ALL,
        choices=[("60-64", "60—64 岁"), ("65-79", "65—79 岁"), ("80+", "80 岁及以上"), ("lt60", "未满 60 岁")])
    sex = django_filters.ChoiceFilter(label="性别", choices=SEX, empty_label=ALL)
    living_situation = django_filters.ChoiceFilter(label="居住情况", choices=LivingSituation.choices, empty_label=ALL)
    economic_status = django_filters.ChoiceFilter(label="经济状况", choices=EconomicStatus.choices, empty_label=ALL)
    special_family = django_filters.ChoiceFilter(label="计生特殊家庭", choices=YES_NO, empty_label=ALL,
                                                 method="filter_special_family")
    disability = django_filters.ChoiceFilter(
        label="残疾", method="filter_disability", empty_label=ALL,
        choices=[("any", "有残疾（任一等级）"), *Disability.choices])
    status = django_filters.ChoiceFilter(
        label="状态", method="filter_status", empty_label=ALL,
        choices=[("alive", "在世"), ("deceased", "已故"), ("moved_out", "已迁出")])
    residing = django_filters.ChoiceFilter(label="机构入住", choices=YES_NO, empty_label=ALL, method="filter_residing")

    class Meta:
        model = ElderlyPerson
        fields: list[str] = []

    def filter_age(self, qs, name, value):
        on = today()
        bounds = {"60-64": (60, 65), "65-79": (65, 80), "80+": (80, None), "lt60": (None, 60)}[value]
        low, high = bounds
        if low is not None:
            qs = qs.filter(birth_date__lte=years_before(on, low))
        if high is not None:
            qs = qs.filter(birth_date__gt=years_before(on, high))
        return qs

    def filter_special_family(self, qs, name, value):
        return qs.filter(special_family=value == "1")

    def filter_disability(self, qs, name, value):
        if value == "any":
            return qs.exclude(disability=Disability.NONE)
        return qs.filter(disability=value)

    def filter_status(self, qs, name, value):
        if value == "alive":
            return qs.filter(died_on__isnull=True, moved_out_on__isnull=True)
        if value == "deceased":
            return qs.filter(died_on__isnull=False)
        return qs.filter(moved_out_on__isnull=False)

    def filter_residing(self, qs, name, value):
        return _yes_no(qs, is_resident(), value)


class InfantFilter(AreaFilterSet):
    age_band = django_filters.ChoiceFilter(
        label="月龄", method="filter_age", empty_label=ALL,
        choices=[("0-6", "6 个月以下"), ("6-12", "6—12 个月"), ("12-24", "12—24 个月"), ("24-36", "24—36 个月"),
                 ("36+", "36 个月及以上")])
    sex = django_filters.ChoiceFilter(label="性别", choices=SEX, empty_label=ALL)
    enrolled = django_filters.ChoiceFilter(label="入托", choices=YES_NO, empty_label=ALL, method="filter_enrolled")
    status = django_filters.ChoiceFilter(label="状态", choices=[("active", "在册"), ("moved_out", "已迁出")],
                                         empty_label=ALL, method="filter_status")

    class Meta:
        model = Infant
        fields: list[str] = []

    def filter_age(self, qs, name, value):
        on = today()
        low, high = {"0-6": (0, 6), "6-12": (6, 12), "12-24": (12, 24), "24-36": (24, 36), "36+": (36, None)}[value]
        qs = qs.filter(birth_date__lte=months_before(on, low))
        if high is not None:
            qs = qs.filter(birth_date__gt=months_before(on, high))
        return qs

    def filter_enrolled(self, qs, name, value):
        return _yes_no(qs, is_enrolled(), value)

    def filter_status(self, qs, name, value):
        return qs.filter(moved_out_on__isnull=value == "active")


class ElderlyAPIFilter(ElderlyFilter):
    area = api_area()


class InfantAPIFilter(InfantFilter):
    area = api_area()
