"""Filters for supervision lists (pages and API); the generic list view adds ``?region=`` and search."""

from __future__ import annotations

import django_filters

from ylyx.core.filters import IntegerFilter

from .models import (
    Channel,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    CreditListEntry,
    Domain,
    EntryStatus,
    Incident,
    IncidentSeverity,
    IncidentStatus,
    IncidentType,
    Inspection,
    InspectionKind,
    InspectionPlan,
    InspectionStatus,
    ListType,
    Outcome,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Severity,
)


def _choice(label, choices):
    return django_filters.ChoiceFilter(label=label, choices=choices, empty_label="全部")


class PlanFilter(django_filters.FilterSet):
    year = IntegerFilter(label="年度", min_value=1990, max_value=2100)
    domain = _choice("领域", Domain.choices)
    status = _choice("状态", PlanStatus.choices)

    class Meta:
        model = InspectionPlan
        fields: list[str] = []


class InspectionFilter(django_filters.FilterSet):
    status = _choice("状态", InspectionStatus.choices)
    kind = _choice("检查类型", InspectionKind.choices)
    outcome = _choice("结论", Outcome.choices)
    year = IntegerFilter(label="检查年度", field_name="inspected_on", lookup_expr="year", min_value=1990, max_value=2100)
    task = IntegerFilter(label="任务编号", field_name="task_id")

    class Meta:
        model = Inspection
        fields: list[str] = []


class RectificationFilter(django_filters.FilterSet):
    status = _choice("状态", RectificationStatus.choices)
    severity = _choice("严重程度", Severity.choices)
    institution = IntegerFilter(label="机构编号", field_name="institution_id")

    class Meta:
        model = Rectification
        fields: list[str] = []


class CreditListFilter(django_filters.FilterSet):
    list_type = _choice("名单", ListType.choices)
    status = _choice("状态", EntryStatus.choices)

    class Meta:
        model = CreditListEntry
        fields: list[str] = []


class ComplaintFilter(django_filters.FilterSet):
    status = _choice("状态", ComplaintStatus.choices)
    channel = _choice("渠道", Channel.choices)
    outcome = _choice("结论", ComplaintOutcome.choices)

    class Meta:
        model = Complaint
        fields: list[str] = []


class IncidentFilter(django_filters.FilterSet):
    status = _choice("状态", IncidentStatus.choices)
    severity = _choice("等级", IncidentSeverity.choices)
    type = _choice("类型", IncidentType.choices)

    class Meta:
        model = Incident
        fields: list[str] = []
