import datetime as dt

import pytest

from ylyx.core import todo


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(todo, "_providers", {})


def test_items_are_ordered_overdue_first_then_by_due_date(clean_registry):
    today = dt.date(2026, 12, 2)
    todo.register("a", lambda user: [todo.Todo("a", "later", "/a", due=dt.date(2026, 12, 20)),
                                     todo.Todo("a", "no date", "/a2")])
    todo.register("b", lambda user: [todo.Todo("b", "overdue", "/b", due=dt.date(2026, 11, 30)),
                                     todo.Todo("b", "soon", "/b2", due=dt.date(2026, 12, 3))])
    titles = [t.title for t in todo.todos_for(object(), today)]
    assert titles == ["overdue", "soon", "later", "no date"]


def test_a_failing_provider_does_not_hide_the_others(clean_registry, caplog):
    def broken(user):
        raise RuntimeError("boom")

    todo.register("broken", broken)
    todo.register("ok", lambda user: [todo.Todo("ok", "still here", "/ok")])
    assert [t.title for t in todo.todos_for(object())] == ["still here"]
    assert "broken" in caplog.text


def test_registering_a_source_again_replaces_it(clean_registry):
    todo.register("x", lambda user: [todo.Todo("x", "old", "/")])
    todo.register("x", lambda user: [todo.Todo("x", "new", "/")])
    assert [t.title for t in todo.todos_for(object())] == ["new"]
