"""Error kinds the services raise beyond Django's own."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request is well formed but clashes with the record's current state (a duplicate, a workflow step
    not allowed from the current status). Pages show it like any validation error; the API answers 409."""
