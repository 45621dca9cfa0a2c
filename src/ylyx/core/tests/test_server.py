"""The application server set-up: gunicorn configuration, demo settings, the serve supervisor, SQLite writers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A subprocess environment with its own var/ directory, on SQLite, without any secrets set."""
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_ACTIVE_KEY",
        "BLIND_INDEX_KEY", "ALLOWED_HOSTS", "WEB_CONCURRENCY", "YLYX_BIND"}}
    env.update(PYTHONPATH=str(REPO / "src"), YLYX_VAR_DIR=str(tmp_path), **extra)
    return env


def test_gunicorn_config_names_are_all_gunicorn_settings_and_valid():
    """gunicorn ignores unknown names silently, so a misspelt setting would just not apply."""
    from gunicorn.config import Config

    import ylyx.gunicorn_conf as conf

    cfg = Config()
    names = {k: v for k, v in vars(conf).items()
             if not k.startswith("_") and k != "annotations" and not isinstance(v, type(os))}
    unknown = sorted(set(names) - set(cfg.settings))
    assert unknown == []
    for k, v in names.items():
        cfg.set(k, v)  # runs gunicorn's validators
    assert cfg.worker_class_str == "gthread"
    assert cfg.workers == 2 * (os.cpu_count() or 1) + 1
    assert cfg.preload_app is True
    assert 0 < cfg.timeout <= 120
    assert "x-request-id" in cfg.access_log_format
    assert cfg.wsgi_app == "ylyx.wsgi:application"


DEMO_PROBE = """
import json, os
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG, "ALLOWED_HOSTS": settings.ALLOWED_HOSTS, "SECRET_KEY": settings.SECRET_KEY,
    "FIELD_ENCRYPTION_KEYS": settings.FIELD_ENCRYPTION_KEYS, "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT, "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "whitenoise": "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE,
    "secret_in_environ": "DJANGO_SECRET_KEY" in os.environ,
}))
"""


def test_demo_settings_are_production_without_debug_and_with_generated_secrets(tmp_path):
    from django.conf import settings

    env = child_env(tmp_path, DJANGO_SETTINGS_MODULE="ylyx.settings.demo")
    first, second = (json.loads(subprocess.run([sys.executable, "-c", DEMO_PROBE], env=env, text=True,
                                               capture_output=True, check=True).stdout) for _ in range(2))
    assert first["DEBUG"] is False
    assert first["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert first["whitenoise"] is True
    assert first["SECURE_SSL_REDIRECT"] is False and first["SESSION_COOKIE_SECURE"] is False
    # Not the public development secrets, kept from one start to the next, and not leaked to the environment.
    assert first["SECRET_KEY"] != settings.SECRET_KEY and len(first["SECRET_KEY"]) >= 50
    assert first["FIELD_ENCRYPTION_KEYS"] != settings.FIELD_ENCRYPTION_KEYS
    assert first["BLIND_INDEX_KEY"] != settings.BLIND_INDEX_KEY
    assert second == first
    assert first["secret_in_environ"] is False
    assert (tmp_path / "demo-secrets.json").stat().st_mode & 0o777 == 0o600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn_with_request_ids_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = child_env(tmp_path, DJANGO_SETTINGS_MODULE="ylyx.settings.demo", YLYX_ACCESS_LOG=str(tmp_path / "access.log"))
    proc = subprocess.Popen([sys.executable, str(REPO / "manage.py"), "serve", "--bind", f"127.0.0.1:{port}",
                             "--workers", "1", "--no-worker"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, resp = time.monotonic() + 60, None
        while resp is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                resp = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)  # noqa: S310
            except OSError:
                time.sleep(0.3)
        assert resp is not None and resp.status == 200, proc.stdout.read() if proc.stdout and proc.poll() is not None else ""
        assert resp.headers["Server"].startswith("gunicorn")
        rid = resp.headers["X-Request-Id"]
        assert len(rid) == 32
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=45)
    assert proc.returncode == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # gunicorn is gone too
    assert f"rid={rid}" in (tmp_path / "access.log").read_text(encoding="utf-8")


def test_serve_stops_the_other_process_when_one_dies(tmp_path):
    from ylyx.core.management.commands.serve import supervise

    marker = tmp_path / "terminated"
    sleeper = textwrap.dedent(f"""
        import signal, sys, time
        def bye(*a):
            open({str(marker)!r}, "w").close()
            sys.exit(0)
        signal.signal(signal.SIGTERM, bye)
        time.sleep(60)
    """)
    t0 = time.monotonic()
    why = supervise({"web": [sys.executable, "-c", sleeper], "worker": [sys.executable, "-c", "import sys; sys.exit(3)"]},
                    os.environ.copy(), grace=10)
    assert "worker" in why and "3" in why
    assert marker.exists()
    assert time.monotonic() - t0 < 15


WRITERS = """
import sys, threading, time
import django
from django.conf import settings
sys.path.insert(0, {src!r})
from ylyx.settings.base import sqlite_config
cfg = sqlite_config(__import__("pathlib").Path({db!r}))
if {mode!r} == "DEFERRED":
    cfg["OPTIONS"]["transaction_mode"] = "DEFERRED"
settings.configure(DATABASES={{"default": cfg}}, USE_TZ=True)
django.setup()
from django.db import connection, transaction
with connection.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL UNIQUE)")
connection.close()
errors = []
def writer():
    for _ in range(15):
        try:
            with transaction.atomic(), connection.cursor() as cur:
                # read, then write what was read: the pattern that makes SQLite upgrade a read lock
                cur.execute("SELECT COALESCE(MAX(n), 0) FROM counter")
                n = cur.fetchone()[0]
                time.sleep(0.002)
                cur.execute("INSERT INTO counter (n) VALUES (%s)", [n + 1])
        except Exception as e:
            errors.append(type(e).__name__ + ": " + str(e))
    connection.close()
threads = [threading.Thread(target=writer) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as cur:
    cur.execute("SELECT COUNT(*) FROM counter")
    print(len(errors), cur.fetchone()[0], errors[:1])
"""


def run_writers(tmp_path: Path, mode: str) -> tuple[int, int]:
    db = tmp_path / f"{mode}.sqlite3"
    script = WRITERS.format(src=str(REPO / "src"), db=str(db), mode=mode)
    out = subprocess.run([sys.executable, "-c", script], env=child_env(tmp_path), text=True, capture_output=True,
                         check=True, timeout=120).stdout.split()
    return int(out[0]), int(out[1])


def test_concurrent_sqlite_writers_do_not_fail(tmp_path):
    """The file database as configured (WAL, busy_timeout, IMMEDIATE): six threads read-then-write, none fails."""
    errors, rows = run_writers(tmp_path, "IMMEDIATE")
    assert (errors, rows) == (0, 6 * 15)


def test_deferred_sqlite_transactions_would_fail_the_same_writers(tmp_path):
    """Why IMMEDIATE: with SQLite's default DEFERRED the same writers get 'database is locked'."""
    errors, rows = run_writers(tmp_path, "DEFERRED")
    assert errors > 0 and rows < 6 * 15


def test_request_id_is_echoed_only_when_it_fits_the_audit_column(client):
    """The access log and the audit trail share the id; an oversized or odd header gets a fresh one."""
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="nginx-42.a:b")["X-Request-Id"] == "nginx-42.a:b"
    for bad in ("x" * 65, "a b", "id\u00e9"):
        rid = client.get("/accounts/login/", HTTP_X_REQUEST_ID=bad)["X-Request-Id"]
        assert rid != bad and len(rid) == 32
