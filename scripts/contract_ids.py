"""Ids and region codes the contract run's users can reach, as schemathesis dictionaries (scripts/contract.sh).

Without them, generated ids and codes almost never exist: the detail, update and workflow operations would only
ever answer 404 and the writes 400. With them about half of the generated requests reach the services' rules.
"""

from __future__ import annotations

import sys

import django

django.setup()

from ylyx.accounts.models import User  # noqa: E402
from ylyx.core.scoping import prefix_q  # noqa: E402
from ylyx.indicators.models import (  # noqa: E402
    Plan,
    PlanIndicator,  # noqa: E402
    ReportedValue,
)
from ylyx.institutions.models import ChildcareClass, Institution, ServicePoint  # noqa: E402
from ylyx.people.models import ElderlyPerson, Enrolment, Infant, Residence  # noqa: E402
from ylyx.regions.models import Region  # noqa: E402
from ylyx.workforce.models import Practitioner  # noqa: E402

user = User.objects.get(username=sys.argv[1])
institutions = Institution.objects.for_user(user, "view")
ids = {
    "institutions": institutions,
    "elderly": ElderlyPerson.objects.for_user(user, "view"),
    "infants": Infant.objects.for_user(user, "view"),
    "practitioners": Practitioner.objects.for_user(user, "view"),
    "residences": Residence.objects.for_user(user, "view"),
    "enrolments": Enrolment.objects.for_user(user, "view"),
    "plans": Plan.objects.for_user(user, "view"),
    "reported-values": ReportedValue.objects.for_user(user, "view"),
}
classes = ChildcareClass.objects.filter(institution__in=institutions)
points = ServicePoint.objects.filter(institution__in=institutions)
path_params = {name: {"id": qs} for name, qs in ids.items()}
path_params["institutions"].update(class_id=classes, point_id=points)

out = []
for resource, params in path_params.items():
    bindings = []
    for param, qs in params.items():
        values = list(qs.order_by("pk").values_list("pk", flat=True)[:20])
        if not values:
            continue
        name = f"{resource}-{param}".replace("-", "_")
        out += [f"[dictionaries.{name}]", f"values = {values}", ""]
        bindings.append(f'"path.{param}" = {{ dictionary = "{name}", probability = 0.5 }}')
    if bindings:
        out += ["[[operations]]", f'include-path-regex = "^/api/{resource}/[{{]id[}}]/"',
                f"parameters = {{ {', '.join(bindings)} }}", ""]
# Bodies: the records and regions a write may name (every operation; a binding only applies where the field is).
body = {
    "region": Region.objects.filter(prefix_q("code", user.region_prefix), level__gte=3).values_list("code", flat=True),
    "institution": institutions.values_list("pk", flat=True),
    "person": ids["elderly"].values_list("pk", flat=True),
    "infant": ids["infants"].values_list("pk", flat=True),
    "childcare_class": classes.values_list("pk", flat=True),
    "plan_indicator": PlanIndicator.objects.filter(plan__in=ids["plans"], definition__isnull=True)
    .values_list("pk", flat=True),
}
bindings = []
for field, qs in body.items():
    values = list(qs.order_by("pk")[:20])
    if values:
        out += [f"[dictionaries.body_{field}]", f"values = {values!r}".replace("'", '"'), ""]
        bindings.append(f'"body.{field}" = {{ dictionary = "body_{field}", probability = 0.5 }}')
out += ["[parameters]", *[b.replace(" = {", " = {", 1) for b in bindings], ""]
print("\n".join(out))
