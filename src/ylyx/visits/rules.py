"""The visit rule as a plain predicate and as a database filter: one definition, two evaluations.

``matches`` checks one person (plain values, for previews and tests); ``q`` gives the same condition as a
Django ``Q`` over ``people.ElderlyPerson`` so the month's tasks are generated in one statement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q


@dataclass(frozen=True)
class Rule:
    living_situations: frozenset[str] = frozenset()
    economic_statuses: frozenset[str] = frozenset()
    disability_grades: frozenset[str] = frozenset()
    special_family: bool = False
    age_always: int | None = None
    min_age: int = 60
    extra: dict = field(default_factory=dict, compare=False)


def born_by(on: dt.date, years: int) -> dt.date:
    """Latest birth date of a person who is at least ``years`` old on ``on``."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def matches(rule: Rule, *, living: str, economic: str, disability: str, special_family: bool,
            birth: dt.date | None, on: dt.date) -> bool:
    if birth is None or birth > born_by(on, rule.min_age):
        return False
    if rule.age_always is not None and birth <= born_by(on, rule.age_always):
        return True
    return (living in rule.living_situations or economic in rule.economic_statuses
            or disability in rule.disability_grades or (rule.special_family and special_family))


def q(rule: Rule, on: dt.date) -> Q | None:
    """The rule as a filter on ElderlyPerson for the month ending ``on``; None when nobody can match."""
    any_of = Q(pk__in=[])
    if rule.living_situations:
        any_of |= Q(living_situation__in=sorted(rule.living_situations))
    if rule.economic_statuses:
        any_of |= Q(economic_status__in=sorted(rule.economic_statuses))
    if rule.disability_grades:
        any_of |= Q(disability__in=sorted(rule.disability_grades))
    if rule.special_family:
        any_of |= Q(special_family=True)
    if rule.age_always is not None:
        any_of |= Q(birth_date__lte=born_by(on, rule.age_always))
    return Q(birth_date__lte=born_by(on, rule.min_age)) & any_of
