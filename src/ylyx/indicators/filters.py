import django_filters

from ylyx.core.filters import IntegerFilter

from .models import Plan, ReportedStatus, ReportedValue


class ReportedValueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=ReportedStatus.choices)
    year = IntegerFilter(label="年份")
    department = django_filters.CharFilter(label="填报部门", lookup_expr="icontains", max_length=60)
    plan = django_filters.ModelChoiceFilter(label="规划", field_name="plan_indicator__plan",
                                            queryset=Plan.objects.none())

    class Meta:
        model = ReportedValue
        fields = ["status", "year", "department", "plan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None) if self.request else None
        if isinstance(self.filters["plan"], django_filters.ModelChoiceFilter):
            self.filters["plan"].queryset = Plan.objects.for_user(user, "view") if user else Plan.objects.none()


class ReportedValueAPIFilter(ReportedValueFilter):
    """The API takes a plan id: the values are already scoped, so an unknown id simply matches nothing."""

    plan = IntegerFilter(label="规划", field_name="plan_indicator__plan_id")
