from django import template
from django.utils.safestring import mark_safe

from ylyx.regions.picking import picker_html

register = template.Library()


@register.simple_tag
def region_picker(name, region=None, field_id="", allow_clear=True):
    """``{% region_picker "region" region %}``: pick by name, 拼音 initials or the tree; never a typed code."""
    return mark_safe(picker_html(name, region, field_id, allow_clear))  # noqa: S308 - rendered by a template
