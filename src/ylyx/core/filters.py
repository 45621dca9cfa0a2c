"""Filter types for list pages and the API whose accepted values are exactly what the schema states."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

TRUE_VALUES = ("true", "True", "1")
FALSE_VALUES = ("false", "False", "0")


INT64 = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """An id or a year: an integer (django-filter's NumberFilter takes any decimal up to 1e50), within the
    database's 64-bit range: a larger one would overflow in the query instead of matching nothing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        # As validators, not min_value/max_value: those would print 19-digit bounds into the pages' inputs.
        kwargs["validators"] = [MinValueValidator(-INT64), MaxValueValidator(INT64), *kwargs.get("validators", ())]
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None


class StrictBooleanField(forms.NullBooleanField):
    """true/false/1/0, empty for "not given"; anything else is an error (Django's field reads it as empty)."""

    widget = forms.TextInput  # NullBooleanSelect turns unknown values into None before to_python sees them

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value is True or value in TRUE_VALUES:
            return True
        if value is False or value in FALSE_VALUES:
            return False
        raise ValidationError("应为 true 或 false", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
