"""Filters for the institution list page and the API; the page's ``?region=CODE`` is the generic view's."""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator

from ylyx.core.scoping import prefix_q

from .models import FilingStatus, Institution, Kind, LegalForm, MedicalService, OperationMode, Status, Subtype
from .querysets.selectors import normalise_prefix

NOT_FILED = "none"
FILING_CHOICES = [(NOT_FILED, "未备案"), *FilingStatus.choices]


class InstitutionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="类别", choices=Kind.choices, empty_label="全部")
    subtype = django_filters.ChoiceFilter(label="类型", choices=Subtype.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(label="状态", choices=Status.choices, empty_label="全部")
    operation_mode = django_filters.ChoiceFilter(label="运营方式", choices=OperationMode.choices, empty_label="全部")
    legal_form = django_filters.ChoiceFilter(label="法人类型", choices=LegalForm.choices, empty_label="全部")
    medical_service = django_filters.ChoiceFilter(label="医疗服务", choices=MedicalService.choices,
                                                  empty_label="全部")
    filing_status = django_filters.ChoiceFilter(label="备案状态", choices=FILING_CHOICES, empty_label="全部",
                                                method="filter_filing_status")

    class Meta:
        model = Institution
        fields: list[str] = []

    def filter_filing_status(self, queryset, name, value):
        if value == NOT_FILED:
            return queryset.filter(filing__isnull=True)
        return queryset.filter(filing__status=value)


class InstitutionAPIFilter(InstitutionFilter):
    """Adds ``?region=150802``: a code prefix (2–12 digits), or a full 12-digit code for its subtree."""

    region = django_filters.CharFilter(label="区划代码前缀", method="filter_region",
                                       validators=[RegexValidator(r"^\d{2,12}$", "区划代码应为 2—12 位数字")])

    def filter_region(self, queryset, name, value):
        return queryset.filter(prefix_q("region_id", normalise_prefix(value)))
