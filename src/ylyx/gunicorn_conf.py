"""Gunicorn settings for the demo (`make demo`), `make serve-prod` and production (`-c python:ylyx.gunicorn_conf`).

Every public name here is a gunicorn setting (a test checks the spelling: gunicorn ignores unknown
names silently). Environment overrides: ``YLYX_BIND``, ``WEB_CONCURRENCY`` (workers),
``YLYX_THREADS``, ``YLYX_TIMEOUT``, ``YLYX_ACCESS_LOG`` (a path, ``-`` for stdout, empty for none).

Sizing (docs/benchmarks.md, load test): a request is CPU-bound Python (templates, decrypting the page's
rows, the NumPy indicator engine) with short database waits, so processes give the parallelism and two
threads per process cover the waits (PostgreSQL round trips; SQLite's fsync for the session write every
request makes). ``2 × cores + 1`` processes keep every core busy while one process waits; each gthread
process costs ~110 MB resident, shared pages aside. Measure before raising threads: under the GIL they
only add queueing inside a process.
"""

from __future__ import annotations

import os

_cores = os.cpu_count() or 1

wsgi_app = "ylyx.wsgi:application"
bind = [os.environ.get("YLYX_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores + 1))
worker_class = "gthread"
threads = int(os.environ.get("YLYX_THREADS", 2))
# A request that takes longer than this is a bug (imports and reports run in the task worker); the
# worker is killed and replaced rather than left holding a thread.
timeout = int(os.environ.get("YLYX_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound; jitter spreads the restarts.
max_requests = 5000
max_requests_jitter = 500
# Import Django once in the master: faster start, shared memory pages, and a broken configuration
# stops the server at start-up instead of in every worker.
preload_app = True
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket: its default path is per user, so two servers (demo, bench) would collide.
control_socket_disable = True
# Request headers are small here; reject oversized ones early.
limit_request_line = 8190
limit_request_fields = 100

accesslog = os.environ.get("YLYX_ACCESS_LOG", "-") or None
# The request id is the one the audit trail stores (ylyx.core.middleware echoes it as X-Request-Id).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
errorlog = "-"
loglevel = "info"
proc_name = "ylyx"


def pre_fork(server, worker):
    """Drop any database connection the master opened while preloading: a forked socket must not be shared."""
    from django.db import connections

    connections.close_all()


def when_ready(server):
    """Import every view once in the master (about 2 s): forked workers share it instead of each paying it."""
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - the access loads the URLconf and its view modules
