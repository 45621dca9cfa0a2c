"""No page asks for a region code by typing: every GET page without arguments (and an institution's pages),
as officials of the city, a county and a town, is parsed, and no visible text field may be named for a
region or labelled 区划代码. Regions are picked by name, 拼音 or from the tree (``regions.picking``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ylyx import testing

pytestmark = pytest.mark.django_db

REGION_NAMES = {"area", "parent"}  # besides any name containing "region"
TYPED = {"text", "search", "number", "tel", ""}
SKIP_PREFIXES = ("api/", "accounts/logout", "public/", "healthz", "readyz")


class Inputs(HTMLParser):
    """Visible text inputs with the text of the label around them."""

    def __init__(self):
        super().__init__()
        self.labels: list[list[str]] = []
        self.found: list[tuple[dict, str]] = []
        self.label_for: dict[str, str] = {}
        self._label_id: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "label":
            self.labels.append([])
            self._label_id.append(a.get("for", ""))
        elif tag == "input" and a.get("type", "").lower() in TYPED:
            self.found.append((a, "".join(self.labels[-1]) if self.labels else ""))

    def handle_endtag(self, tag):
        if tag == "label" and self.labels:
            text = "".join(self.labels.pop())
            lid = self._label_id.pop()
            if lid:
                self.label_for[lid] = text

    def handle_data(self, data):
        for lab in self.labels:
            lab.append(data)


def offending(html: str) -> list[str]:
    p = Inputs()
    p.feed(html)
    out = []
    for attrs, label in p.found:
        label = label + p.label_for.get(attrs.get("id", ""), "")
        name = attrs.get("name", "")
        if not name:
            continue  # not submitted: the picker's search box (a name or 拼音 is typed there, never a code)
        if (name in REGION_NAMES or "region" in name or "区划" in label
                or "区划代码" in attrs.get("placeholder", "")):
            out.append(f"<input name={name!r} label={label.strip()[:30]!r}>")
    return out


def plain_paths(patterns=None, prefix="") -> list[str]:
    out = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if "<" not in route:
                out += plain_paths(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
            out.append("/" + prefix + route)
    return sorted({x for x in out if not x[1:].startswith(SKIP_PREFIXES)})


def test_the_checker_catches_a_typed_code():
    assert offending('<label>区划代码 <input name="region" maxlength="12"></label>')
    assert offending('<label>区划 <input name="x" placeholder="请输入区划代码"></label>')
    assert offending('<label for="r">所在区划</label><input id="r" name="where">')
    assert not offending('<label>区划 <input type="hidden" name="region" value="150802000000">'
                         '<input type="search" class="rp-query"></label>')


def test_no_page_asks_for_a_region_code(client, tree, users):
    inst = users["_operator_institution"]
    paths = plain_paths() + [f"/institutions/{inst.pk}/", f"/institutions/{inst.pk}/edit/"]
    assert "/indicators/" in paths and "/map/" in paths and "/" in paths
    bad = []
    for role in ("civil_affairs", "health", "county_officer", "town_officer", "leader", "operator", "sysadmin"):
        client.force_login(users[role])
        for path in paths:
            resp = client.get(path)
            if resp.status_code != 200 or "text/html" not in resp.get("Content-Type", ""):
                continue
            bad += [f"{role} {path}: {x}" for x in offending(resp.content.decode())]
    assert not bad, "pages ask for a region code by typing:\n" + "\n".join(bad)


def test_entry_form_picks_a_region_by_name(client, users):
    from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan

    make_plan(STANDARD_ROWS)
    client.force_login(users["county_officer"])
    html = client.get("/indicators/reported/new/").content.decode()
    assert 'class="region-picker"' in html and not offending(html)
    assert testing  # shared helpers imported for fixtures
