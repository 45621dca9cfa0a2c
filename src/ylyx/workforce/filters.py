"""List filters for 从业人员 (pages and API)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q

from ylyx.core.filters import IntegerFilter
from ylyx.institutions.models import Institution
from ylyx.people.filters import ALL, YES_NO, AreaFilterSet, api_area
from ylyx.people.identity import today

from .models import Certificate, Practitioner, PractitionerRole, TrainingRecord

OUTER = "correlated with, or prefetched for, rows the list already scoped to the user"


def valid_today() -> Q:
    on = today()
    return (Q(expires_on__isnull=True) | Q(expires_on__gte=on)) & Q(issued_on__lte=on)


def has_valid_certificate():
    """持证: a certificate issued by today and not expired."""
    return Exists(Certificate.objects.unscoped(OUTER).filter(valid_today(), practitioner=OuterRef("pk")))


def valid_certificates() -> Prefetch:
    return Prefetch("certificates", queryset=Certificate.objects.unscoped(OUTER).filter(valid_today()), to_attr="valid_certificates")


class PractitionerFilter(AreaFilterSet):
    role = django_filters.ChoiceFilter(label="岗位", choices=PractitionerRole.choices, empty_label=ALL)
    institution = django_filters.ModelChoiceFilter(label="机构", queryset=Institution.objects.none(), empty_label=ALL)
    certified = django_filters.ChoiceFilter(label="持有效证书", choices=YES_NO, empty_label=ALL,
                                            method="filter_certified")
    trained_year = IntegerFilter(label="培训年度", method="filter_trained_year", min_value=1990, max_value=2100)

    class Meta:
        model = Practitioner
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if isinstance(self.filters["institution"], django_filters.ModelChoiceFilter):
            self.filters["institution"].queryset = (Institution.objects.for_user(user, "view").order_by("name")
                                                    if user is not None else Institution.objects.none())

    def filter_certified(self, qs, name, value):
        expr = has_valid_certificate()
        return qs.filter(expr) if value == "1" else qs.exclude(expr)

    def filter_trained_year(self, qs, name, value):
        return qs.filter(Exists(TrainingRecord.objects.unscoped(OUTER).filter(practitioner=OuterRef("pk"),
                                                              completed_on__year=int(value))))


class PractitionerAPIFilter(PractitionerFilter):
    """Ids and codes instead of the page's lists: the rows are scoped, so an unknown one matches nothing."""

    area = api_area()
    institution = IntegerFilter(label="机构", field_name="institution_id")
