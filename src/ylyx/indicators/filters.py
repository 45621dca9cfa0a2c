import django_filters

from .models import Plan, ReportedStatus, ReportedValue


class ReportedValueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=ReportedStatus.choices)
    year = django_filters.NumberFilter(label="年份")
    department = django_filters.CharFilter(label="填报部门", lookup_expr="icontains")
    plan = django_filters.ModelChoiceFilter(label="规划", field_name="plan_indicator__plan",
                                            queryset=Plan.objects.none())

    class Meta:
        model = ReportedValue
        fields = ["status", "year", "department", "plan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None) if self.request else None
        self.filters["plan"].queryset = Plan.objects.for_user(user, "view") if user else Plan.objects.none()
