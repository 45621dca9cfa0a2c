from django import template

from ..formulas import fmt
from ..results import STATUS_LABELS

register = template.Library()

SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


@register.filter
def num(value, digits=2):
    return fmt(value, int(digits))


@register.filter
def status_label(value):
    return STATUS_LABELS.get(value, value or "")


@register.filter
def sign(value):
    return SIGNS.get(value or "", "")


@register.filter
def get(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)
