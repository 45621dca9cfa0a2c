"""The one path by which records reach a user: ``Model.objects.for_user(user, action)``.

Modelled on NetBox's RestrictedQuerySet: a role grants actions on a resource, and the region scope
(a prefix of the 12-digit code) or the operator's institution limits the rows. Writes are re-checked
inside the same transaction with :func:`ensure_in_scope`, so nobody can create or move a record
outside their scope.

Scoped by construction: a queryset of a scoped model that is created in a module facing users
(views, forms, API, exports, filters, selectors, template tags) must say how it is scoped before it
touches the database: ``for_user(user, action)``, or ``unscoped("why")`` for a deliberate system read
whose region the caller has already checked. Evaluating it without either raises
:class:`UnscopedQueryError`, so a forgotten ``for_user`` fails the first test that reaches the code
instead of leaking another county's rows. Records reached through a related manager of an object
that was itself fetched in scope (``plan.indicators.all()``) count as scoped.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any, ClassVar, cast

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from .permissions import Action, Resource, allows, domains_for

# Modules whose querysets reach a user. Services (state changes, each given the user) and engines are
# not listed: they take records the caller already fetched in scope.
GUARDED_MODULE = re.compile(
    r"^ylyx\.(?:[a-z_]+\.)*(?:views|views_[a-z_]+|forms|api|exports|export_jobs|report|filters|tables|selectors)$"
    r"|^ylyx\.(?:[a-z_]+\.)*(?:templatetags|querysets)\.[a-z_]+$"
)
_TRANSPARENT = ("django.", "rest_framework.", "django_filters.", "drf_spectacular.", __name__, "functools")


class UnscopedQueryError(RuntimeError):
    """A user-facing module read a scoped model without saying whose rows it may see."""


def _caller_module() -> str:
    """The first module outside Django, DRF and this file on the stack: who asked for the queryset."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(_TRANSPARENT):
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _marks_scoped(fn):
    """Wrap a ``for_user`` so whatever it returns counts as scoped, in subclasses too."""

    @functools.wraps(fn)
    def for_user(self, user: Any, action: Action = "view"):
        qs = fn(self, user, action)
        qs._scope = "user"
        return qs

    for_user._marks_scoped = True  # type: ignore[attr-defined]
    return for_user


class ScopedQuerySet(models.QuerySet):
    _scope: str | None = None  # None: undecided; "user", "system", "related" or "none" once decided
    _scope_origin: str = ""  # the guarded module that created the queryset, "" when not guarded

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("for_user")
        if fn is not None and not getattr(fn, "_marks_scoped", False):
            cls.for_user = _marks_scoped(fn)  # type: ignore[method-assign]

    @_marks_scoped
    def for_user(self, user: Any, action: Action = "view") -> ScopedQuerySet:
        model = cast("type[ScopedModel]", self.model)  # only ScopedModel.objects hands out this queryset
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if model.scope_parent:
            parent = model._meta.get_field(model.scope_parent).related_model
            allowed = parent.objects.for_user(user, action).values("pk")  # type: ignore[union-attr]
            return self.filter(**{f"{model.scope_parent}__in": allowed})
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

    def unscoped(self, reason: str) -> ScopedQuerySet:
        """A deliberate read across scopes; ``reason`` says why it is safe (kept in the code for review)."""
        if not reason or not reason.strip():
            raise ValueError("unscoped() needs the reason the read is safe")
        qs = self._chain()  # type: ignore[attr-defined]
        qs._scope = "system"
        return qs

    def none(self):
        qs = super().none()
        qs._scope = self._scope or "none"
        return qs

    # --- the guard -------------------------------------------------------------------------------

    def _clone(self):
        c = super()._clone()  # type: ignore[misc]
        c._scope = self._scope
        c._scope_origin = self._scope_origin
        return c

    def _check_scope(self) -> None:
        if self._scope is None and self._scope_origin:
            raise UnscopedQueryError(
                f"{self.model.__name__} is read in {self._scope_origin} without for_user(user, action) "
                "or unscoped(reason): every user-facing read goes through the scoping path")

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def count(self):
        self._check_scope()
        return super().count()

    def exists(self):
        self._check_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    def delete(self):
        self._check_scope()
        return super().delete()

    def contains(self, obj):
        self._check_scope()
        return super().contains(obj)

    def explain(self, *args, **kwargs):
        self._check_scope()
        return super().explain(*args, **kwargs)


def prefix_upper(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_q(field: str, prefix: str) -> Q:
    """Codes under a prefix as a range, so SQLite and PostgreSQL both use the index (LIKE does not)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix_upper(prefix)})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    def get_queryset(self):
        qs = super().get_queryset()
        if getattr(self, "instance", None) is not None:
            qs._scope = "related"  # reached from an object the caller already holds in scope
        else:
            origin = _caller_module()
            if GUARDED_MODULE.match(origin):
                qs._scope_origin = origin
        return qs


class _ParentResource:
    """A child record's resource is its parent's, so permission checks on it read the parent's rights."""

    def __get__(self, obj: Any, cls: Any) -> str:
        if cls.scope_parent:
            return cls._meta.get_field(cls.scope_parent).related_model.scope_resource
        raise AttributeError(f"{cls.__name__} names neither scope_resource nor scope_parent")


class ScopedModel(models.Model):
    """Base for every record that belongs to a region; ``region`` is keyed by the 12-digit code.

    A record that belongs to another one (a filing to its institution, a plan indicator to its plan)
    names that foreign key in ``scope_parent`` and is visible exactly where its parent is.
    """

    scope_resource: ClassVar[Resource] = _ParentResource()  # type: ignore[assignment]
    scope_region_field = "region_id"
    scope_domain_field: str | None = None
    scope_parent: str | None = None

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
