"""The permission table, the resource and action vocabularies, the models and the call sites agree."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

import ylyx
from ylyx.core.permissions import ACTIONS, PERMISSIONS, RESOURCES, Role, allows, as_resource
from ylyx.core.scoping import ScopedModel, ScopedQuerySet


def test_the_table_speaks_the_vocabulary():
    assert set(PERMISSIONS) == set(Role.values)
    for role, grants in PERMISSIONS.items():
        assert set(grants) <= RESOURCES, role
        for resource, actions in grants.items():
            assert actions <= ACTIONS, (role, resource)


def test_every_scoped_model_names_a_resource_of_the_table():
    used = {r for grants in PERMISSIONS.values() for r in grants}
    for model in apps.get_models():
        if issubclass(model, ScopedModel) and not model.scope_parent and not model.scope_resource:
            # no single resource (an import batch is of several): the model's own for_user decides
            own = type(model._default_manager.all()).for_user  # type: ignore[attr-defined]
            assert own is not ScopedQuerySet.for_user, f"{model.__name__}: neither a resource nor its own rule"
            continue
        if issubclass(model, ScopedModel) and not model.scope_parent:
            assert model.scope_resource in RESOURCES, model.__name__
            assert model.scope_resource in used, f"{model.__name__}: no role may do anything with it"
        if issubclass(model, ScopedModel) and model.scope_parent:
            parent = model._meta.get_field(model.scope_parent).related_model
            assert isinstance(parent, type) and issubclass(parent, ScopedModel), model.__name__
            assert model.scope_resource == parent.scope_resource, model.__name__


def test_every_literal_call_site_uses_known_names():
    """``allows(role, "x", "y")`` anywhere in the code: mypy checks typed code, this checks all of it."""
    root = Path(ylyx.__file__).parent
    seen = 0
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "allows":
                args = [a for a in node.args[1:3] if isinstance(a, ast.Constant)]
                if len(args) == 2:
                    seen += 1
                    assert args[0].value in RESOURCES, f"{path}:{node.lineno}"
                    assert args[1].value in ACTIONS, f"{path}:{node.lineno}"
    assert seen > 20


def test_names_read_from_data_are_checked():
    assert as_resource("elderly") == "elderly"
    with pytest.raises(ValueError):
        as_resource("elderlyy")
    assert not allows("county_officer", "audit", "view")
    assert allows("auditor", "audit", "view")
