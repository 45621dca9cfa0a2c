"""The served demo (`make demo`): the production settings, relaxed only for plain HTTP on the loopback.

DEBUG is off (no debug page, ever), static files come from WhiteNoise, and the secrets are not the
public development ones: they are generated into ``var/demo-secrets.json`` (mode 600) the first time
these settings load (``build_demo`` does that) and kept, so the demo database stays readable. Commands
run against the demo database need ``DJANGO_SETTINGS_MODULE=ylyx.settings.demo`` to decrypt it.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

from .base import VAR_DIR


def demo_secrets(path: Path) -> dict[str, str]:
    """Read the demo's secrets, creating them once (atomically, so parallel start-ups agree)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                  "FIELD_ENCRYPTION_KEYS": json.dumps({"demo1": secrets.token_urlsafe(32)}),
                  "FIELD_ENCRYPTION_ACTIVE_KEY": "demo1",
                  "BLIND_INDEX_KEY": secrets.token_urlsafe(32)}
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(values, fh, indent=2)
        try:
            os.link(tmp, path)  # fails if another process created it first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return json.loads(path.read_text(encoding="utf-8"))


@contextmanager
def _environ(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# prod reads its secrets from the environment; hand it the demo's for the import only.
with _environ({**demo_secrets(VAR_DIR / "demo-secrets.json"), "ALLOWED_HOSTS": "127.0.0.1,localhost"}):
    from .prod import *  # noqa: F403

# Plain HTTP on 127.0.0.1: no redirect to HTTPS, no HSTS, cookies usable without TLS.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_PROXY_SSL_HEADER = None  # type: ignore[assignment]  # no proxy in front of the demo
