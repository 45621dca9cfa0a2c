"""The one path by which records reach a user: ``Model.objects.for_user(user, action)``.

Modelled on NetBox's RestrictedQuerySet: a role grants actions on a resource, and the region scope
(a prefix of the 12-digit code) or the operator's institution limits the rows. Writes are re-checked
inside the same transaction with :func:`ensure_in_scope`, so nobody can create or move a record
outside their scope.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user: Any, action: str = "view") -> ScopedQuerySet:
        from ylyx.accounts.roles import allows, domains_for

        model = cast("type[ScopedModel]", self.model)  # only ScopedModel.objects hands out this queryset
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not allows(user.role, model.scope_resource, action):
            return self.none()
        qs = self
        domain_field = getattr(model, "scope_domain_field", None)
        if domain_field and action != "view":
            doms = domains_for(user.role)
            if doms is not None:
                qs = qs.filter(**{f"{domain_field}__in": sorted(doms)})
        if user.role == "operator":
            if not user.institution_id:
                return self.none()
            q = model.scope_institution_q(user.institution_id)
            return qs.none() if q is None else qs.filter(q)
        prefix = user.region_prefix
        if not prefix:
            return self.none()
        return qs.filter(prefix_q(model.scope_region_field, prefix))


def prefix_upper(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_q(field: str, prefix: str) -> Q:
    """Codes under a prefix as a range, so SQLite and PostgreSQL both use the index (LIKE does not)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix_upper(prefix)})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


class ScopedModel(models.Model):
    """Base for every record that belongs to a region; ``region`` is keyed by the 12-digit code."""

    scope_resource: str = ""
    scope_region_field = "region_id"
    scope_domain_field: str | None = None

    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q | None:
        """Rows an institution operator may see; None means operators see none of this model."""
        return None


def ensure_in_scope(obj: models.Model, user: Any, action: str) -> None:
    """Re-check a saved object through the scoped queryset; raising rolls the transaction back."""
    model = type(obj)
    if not model.objects.for_user(user, action).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise PermissionDenied("超出您的管辖范围或权限，操作未保存")
