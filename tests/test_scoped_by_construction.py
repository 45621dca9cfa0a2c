"""Scoped by construction: no user-facing module reads a scoped model except through the scoping path.

Two nets, so a new view, form, serializer, filter, selector or export cannot skip ``for_user``:

* statically, every ``.objects`` of a scoped model (or of a model only known at run time, such as
  ``self.model``) in a user-facing module is followed at once by ``for_user(...)``, ``unscoped("why")``
  or ``none()`` (or is a plain ``create``, which reads nothing back); the one exception is a DRF
  viewset's class-level ``queryset`` template, which ``ScopedViewSet.get_queryset`` scopes;
* at run time, a queryset that such a module creates and evaluates without either raises
  :class:`UnscopedQueryError` (tested here on a module made up for the purpose, and exercised by every
  page and API test of the suite).
"""

from __future__ import annotations

import ast
import datetime as dt
import types
from pathlib import Path

import pytest
from django.apps import apps

import ylyx
from ylyx import testing
from ylyx.core.scoping import GUARDED_MODULE, ScopedQuerySet, UnscopedQueryError

SRC = Path(ylyx.__file__).resolve().parent
ALLOWED_NEXT = {"for_user", "unscoped", "none", "create", "bulk_create"}  # writes read nothing back


def scoped_model_names() -> tuple[set[str], set[str]]:
    scoped, plain = set(), set()
    for model in apps.get_models():
        manager = model._default_manager
        (scoped if hasattr(manager, "for_user") else plain).add(model.__name__)
    return scoped, plain


def user_facing_modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        name = ".".join(rel.parts)
        if GUARDED_MODULE.match(name):
            out.append((name, path))
    return out


def unscoped_reads(source: str, scoped: set[str], plain: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each ``X.objects`` in ``source`` that is not immediately scoped."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "objects"):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in plain and base.id not in scoped:
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.attr in ALLOWED_NEXT:
            continue
        if _is_viewset_template(node, parents):
            continue
        found.append((node.lineno, ast.unparse(parent if parent is not None else node)[:100]))
    return found


def _is_viewset_template(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """``queryset = Model.objects...`` directly in a class body (the template ScopedViewSet scopes), or the
    ``queryset=`` of a ``Scoped…Field`` (the base its ``get_queryset`` narrows with ``for_user``)."""
    cur = node
    while cur in parents and not isinstance(parents[cur], ast.keyword | ast.Assign | ast.ClassDef | ast.FunctionDef):
        cur = parents[cur]
    kw = parents.get(cur)
    if isinstance(kw, ast.keyword) and kw.arg == "queryset":
        call = parents.get(kw)
        func = call.func if isinstance(call, ast.Call) else None
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name.startswith("Scoped"):
            return True
    cur = node
    while cur in parents and not isinstance(parents[cur], ast.Assign | ast.AnnAssign | ast.ClassDef | ast.FunctionDef):
        cur = parents[cur]
    assign = parents.get(cur)
    if not isinstance(assign, ast.Assign | ast.AnnAssign):
        return False
    targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
    named = any(isinstance(t, ast.Name) and t.id == "queryset" for t in targets)
    return named and isinstance(parents.get(assign), ast.ClassDef)


def test_the_guarded_modules_are_the_user_facing_ones():
    names = {n for n, _ in user_facing_modules()}
    for expected in ("ylyx.indicators.views", "ylyx.indicators.api", "ylyx.people.forms", "ylyx.people.filters",
                     "ylyx.institutions.querysets.selectors", "ylyx.indicators.selectors", "ylyx.generic.views",
                     "ylyx.indicators.exports"):
        assert expected in names
    assert "ylyx.indicators.services" not in names
    assert "ylyx.indicators.formulas" not in names


def test_no_user_facing_module_reads_a_scoped_model_outside_the_scoping_path():
    scoped, plain = scoped_model_names()
    assert {"ReportedValue", "Plan", "PlanIndicator", "Milestone", "ReportJob", "Institution", "Filing",
            "ElderlyPerson", "Residence", "Infant", "Enrolment", "Practitioner", "Employment"} <= scoped
    problems = []
    for _name, path in user_facing_modules():
        for line, text in unscoped_reads(path.read_text(encoding="utf-8"), scoped, plain):
            problems.append(f"{path.relative_to(SRC.parent)}:{line}: {text}")
    assert not problems, "unscoped reads in user-facing modules (use for_user or unscoped(reason)):\n" + \
        "\n".join(problems)


def test_the_static_check_catches_the_old_entry_page_leak():
    """The reported-value leak of review 2026-12-02, as it was written, is flagged."""
    old = '''
class ReportedEntryView:
    def existing(self, rows, region_code, year):
        code = normalise_code(str(region_code or ""))
        return {rv.plan_indicator_id: rv for rv in ReportedValue.objects.filter(
            plan_indicator__in=[pi.pk for pi in rows], region_id=code, year=year)}
'''
    scoped, plain = scoped_model_names()
    assert [line for line, _ in unscoped_reads(old, scoped, plain)] == [5]
    fixed = old.replace("ReportedValue.objects.filter(", "ReportedValue.objects.for_user(user, 'view').filter(")
    assert unscoped_reads(fixed, scoped, plain) == []
    dynamic = "def f(self):\n    return self.model.objects.filter(pk=1)\n"
    assert len(unscoped_reads(dynamic, scoped, plain)) == 1
    plain_model = "def f():\n    return Region.objects.filter(code='1')\n"
    assert unscoped_reads(plain_model, scoped, plain) == []


# --- the run-time guard ---------------------------------------------------------------------------

def _module(name: str) -> types.ModuleType:
    """A throwaway module with the given dotted name, so the guard sees it as the caller."""
    mod = types.ModuleType(name)
    exec(compile(  # noqa: S102 - test code defining helpers in a named module
        "from ylyx.indicators.models import ReportedValue, Plan\n"
        "def unscoped():\n    return list(ReportedValue.objects.filter(year=2021))\n"
        "def counted():\n    return ReportedValue.objects.filter(year=2021).count()\n"
        "def scoped(user):\n    return list(ReportedValue.objects.filter(year=2021).for_user(user, 'view'))\n"
        "def system():\n    return list(ReportedValue.objects.unscoped('test').filter(year=2021))\n"
        "def plans(user):\n    return list(Plan.objects.for_user(user).filter(code__startswith='x'))\n"
        "def related(plan):\n    return list(plan.indicators.all())\n",
        f"<{name}>", "exec"), mod.__dict__)
    return mod


@pytest.mark.django_db
def test_guard_refuses_unscoped_reads_from_user_facing_modules(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    page = _module("ylyx.somewhere.views")
    with pytest.raises(UnscopedQueryError, match="ReportedValue is read in ylyx.somewhere.views"):
        page.unscoped()
    with pytest.raises(UnscopedQueryError):
        page.counted()
    assert page.scoped(user) == []
    assert page.system() == []
    assert page.plans(user) == []  # PlanQuerySet overrides for_user: the override is marked too


@pytest.mark.django_db
def test_guard_leaves_services_and_related_managers_alone(tree):
    from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan

    service = _module("ylyx.somewhere.services")
    assert service.unscoped() == []
    plan = make_plan(STANDARD_ROWS)
    page = _module("ylyx.somewhere.views")
    assert len(page.related(plan)) == len(STANDARD_ROWS)


def test_unscoped_needs_a_reason():
    from ylyx.indicators.models import ReportedValue

    with pytest.raises(ValueError):
        ReportedValue.objects.unscoped("  ")


def test_every_for_user_override_marks_its_result():
    for model in apps.get_models():
        qs_class = type(model._default_manager.all())
        if issubclass(qs_class, ScopedQuerySet):
            assert getattr(qs_class.for_user, "_marks_scoped", False), model.__name__


@pytest.mark.django_db
def test_guard_applies_to_child_records_through_their_parent(tree):
    """A filing, class or employment is visible exactly where its institution or practitioner is."""
    from ylyx.institutions.models import ChildcareClass
    from ylyx.workforce.models import Employment

    own = testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_affordable", beds=0,
                                   nursing_beds=0)
    other = testing.make_institution(tree["wuyuan_town"], kind="childcare", subtype="cc_affordable", beds=0,
                                     nursing_beds=0)
    for inst in (own, other):
        ChildcareClass.objects.create(institution=inst, name="托小班", class_type="junior", places=10, caregivers=2)
    officer = testing.make_user("county_officer", tree["linhe"])
    assert list(ChildcareClass.objects.for_user(officer).values_list("institution_id", flat=True)) == [own.pk]
    p_other = testing.make_practitioner(tree["wuyuan_town"], institution=other)
    Employment.objects.create(practitioner=p_other, institution=other, role="caregiver",
                              started_on=dt.date(2022, 1, 1))
    assert not Employment.objects.for_user(officer).exists()
    city = testing.make_user("health", tree["city"])
    assert Employment.objects.for_user(city).count() == 1
