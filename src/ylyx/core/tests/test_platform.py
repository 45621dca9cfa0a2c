"""Platform-wide guarantees: SQLite durability pragmas, authentication on every page, no unsafe patterns."""

import re
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from ylyx.settings.base import sqlite_config

SRC = Path(__file__).resolve().parents[2]
PUBLIC = {"accounts/login/", "healthz", "api/schema/", "api/docs/",
          # disclosure required by law and draws for anyone to verify (supervision/public_urls.py)
          "public/supervision/", "public/supervision/draws/<int:pk>/", "public/supervision/draws/<int:pk>/draw.json",
          "public/supervision/results/<int:pk>/",
          # the phone page's manifest, icon and service-worker script: code and names, no data (the manifest
          # and icon are fetched without cookies)
          "visits/m/manifest.webmanifest", "visits/m/icon.svg", "visits/m/sw.js"}


def test_sqlite_connection_runs_with_synchronous_full(tmp_path):
    cfg = sqlite_config(tmp_path / "x.sqlite3")
    con = sqlite3.connect(cfg["NAME"])
    con.executescript(cfg["OPTIONS"]["init_command"])
    assert con.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert cfg["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def iter_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from iter_patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def concrete(pattern: str) -> str:
    path = re.sub(r"<(?:int:)?[a-z_]+>", "1", pattern)
    path = re.sub(r"<(?:str|slug):[a-z_]+>", "x", path)
    path = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "1", path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "").replace("?", "")


@pytest.mark.django_db
def test_every_page_requires_login(client):
    checked = 0
    for pattern in iter_patterns():
        if pattern in PUBLIC or pattern.startswith("static") or "format" in pattern:
            continue
        url = concrete(pattern)
        for method in ("get", "post"):
            resp = getattr(client, method)(url)
            assert resp.status_code in (302, 401, 403, 404, 405), f"{method.upper()} {url} → {resp.status_code}"
            if resp.status_code == 302:
                assert resp.url.startswith("/accounts/login/"), url
        checked += 1
    assert checked > 5


def test_no_csrf_exempt_and_no_kwargs_from_request():
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "csrf_exempt" in text:
            offenders.append(f"{path}: csrf_exempt")
        if re.search(r"\*\*request\.(GET|POST|data|query_params)", text):
            offenders.append(f"{path}: **request.* into ORM (CVE-2025-64459 pattern)")
        if re.search(r"\.(raw|execute)\(\s*f[\"']", text):
            offenders.append(f"{path}: f-string SQL")
    assert offenders == []


def test_security_headers(client):
    resp = client.get("/accounts/login/")
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["Cache-Control"] == "no-store"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_debug_is_off_outside_dev():
    assert settings.DEBUG is False


def test_openapi_schema_generates_and_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    for path in ("/api/institutions/", "/api/elderly/", "/api/infants/", "/api/practitioners/", "/api/imports/",
                 "/api/plans/", "/api/stats/"):
        assert f"{path}:" in text, path
