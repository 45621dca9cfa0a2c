"""Load test through gunicorn: mixed official traffic at 50 and 200 users, on SQLite and PostgreSQL.

For each database: build the full-scale demo city into the load test's own database (var/bench-load/
for SQLite, ``BENCH_LOAD_PG`` for PostgreSQL) with the demo settings (DEBUG off, WhiteNoise), give two
demo users API tokens, start gunicorn (ylyx.gunicorn_conf, as `make demo` runs it) on 127.0.0.1:8201,
then run bench/loadtest.py headless at each level: users are spawned and log in, then the mix is
measured for ``BENCH_LOAD_SECONDS`` (60). A closed-loop probe without think time (8 users, 30 s) gives
the capacity. Everything stays on the loopback.

Baseline: the target, 0 errors and p95 < 500 ms at 200 users on PostgreSQL.

Knobs: BENCH_LOAD_USERS=50,200  BENCH_LOAD_SECONDS=60  BENCH_LOAD_DBS=sqlite,postgresql
BENCH_LOAD_PG=postgres://…/ylyx_bench_load  BENCH_LOAD_REUSE=1 (keep the built databases)
BENCH_LOAD_WORKERS / BENCH_LOAD_THREADS (gunicorn sizing)  BENCH_LOAD_CAPACITY=0 (skip the probe).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import common

VAR = common.ROOT / "var" / "bench-load"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ylyx_bench_load"
TARGET_P95_MS = 500
TOKEN_USERS = ["demo_linhe", "demo_minzheng"]


def env_for(db: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(common.ROOT / "src"), "DJANGO_SETTINGS_MODULE": "ylyx.settings.demo",
           "YLYX_VAR_DIR": str(VAR)}
    env.pop("DATABASE_URL", None)
    if db == "postgresql":
        env["DATABASE_URL"] = os.environ.get("BENCH_LOAD_PG", DEFAULT_PG)
    return env


def manage(env: dict, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(common.ROOT / "manage.py"), *args], env=env, text=True,
                          capture_output=True, cwd=common.ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed: {proc.stderr.strip()[-1500:]}")
    return proc.stdout


def pg_ready(url: str) -> bool:
    """Create the load test's PostgreSQL database if needed; False when PostgreSQL is not reachable."""
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        conn = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        common.note(f"PostgreSQL not reachable ({type(e).__name__}): skipped")
        return False
    with conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return True


SIZES = """
import json
from django.db import connection
from ylyx.people.models import ElderlyPerson, Infant
from ylyx.institutions.models import Institution
from ylyx.workforce.models import Practitioner
if connection.vendor == "sqlite":
    import sqlite3
    version = "SQLite " + sqlite3.sqlite_version
else:
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(",")[0]
print(json.dumps({"version": version, "elderly": ElderlyPerson.objects.count(), "infants": Infant.objects.count(),
                  "institutions": Institution.objects.count(), "practitioners": Practitioner.objects.count()}))
"""


def prepare(db: str, env: dict) -> dict | None:
    """The built database (reused with BENCH_LOAD_REUSE=1), its logins file, tokens and sizes."""
    if db == "postgresql" and not pg_ready(env["DATABASE_URL"]):
        return None
    logins = VAR / f"logins-{db}.txt"
    built_s = None
    if not (os.environ.get("BENCH_LOAD_REUSE") == "1" and logins.exists()):
        print(f"    building the demo city (scale {common.SCALE:g}) into the {db} load database …", flush=True)
        t0 = time.perf_counter()
        manage(env, "build_demo", "--scale", f"{common.SCALE:g}", "--fresh")
        built_s = round(time.perf_counter() - t0, 1)
        (VAR / "demo-logins.txt").replace(logins)
    else:
        manage(env, "migrate", "--noinput")  # a reused database follows the code's migrations
    tokens = {}
    for user in TOKEN_USERS:
        m = re.search(r"token (\w+) for user", manage(env, "drf_create_token", user))
        if m:
            tokens[user] = m.group(1)
    sizes = json.loads(manage(env, "shell", "-c", SIZES).strip().splitlines()[-1])
    return {"logins": str(logins), "tokens": tokens, "sizes": sizes, "build_seconds": built_s}


def free_port(start: int) -> int:
    for port in range(start, start + 20):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {start}..{start + 19}")


class Server:
    """gunicorn with the repository's configuration, on a loopback port, access log into var/bench-load/."""

    def __init__(self, db: str, env: dict, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.db_name = env.get("DATABASE_URL", "").rpartition("/")[2].split("?")[0]
        env = {**env, "YLYX_BIND": f"127.0.0.1:{port}", "YLYX_ACCESS_LOG": str(VAR / f"access-{db}.log")}
        if os.environ.get("BENCH_LOAD_WORKERS"):
            env["WEB_CONCURRENCY"] = os.environ["BENCH_LOAD_WORKERS"]
        if os.environ.get("BENCH_LOAD_THREADS"):
            env["YLYX_THREADS"] = os.environ["BENCH_LOAD_THREADS"]
        self.log = open(VAR / f"gunicorn-{db}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:ylyx.gunicorn_conf"],
                                     env=env, cwd=common.ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 90 s")

    def cpu_seconds(self) -> float:
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def db_cpu(self) -> dict[int, float]:
        """CPU seconds of the PostgreSQL backends serving this database (their title names it), by pid."""
        import psutil

        name = self.db_name
        out = {}
        if not name:
            return out
        for p in psutil.process_iter(["name", "cmdline"]):
            try:
                if (p.info["name"] or "").startswith("postgres") and name in " ".join(p.info["cmdline"] or []):
                    t = p.cpu_times()
                    out[p.pid] = t.user + t.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return out

    def workers(self) -> int:
        import psutil

        return len(psutil.Process(self.proc.pid).children())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def level(db: str, server: Server, prep: dict, users: int, seconds: float, no_wait: bool = False) -> dict:
    out = VAR / f"load-{db}-{users}{'-nowait' if no_wait else ''}.json"
    cmd = [sys.executable, str(common.ROOT / "bench" / "loadtest.py"), "--host", server.url, "--users", str(users),
           "--spawn-rate", str(5), "--seconds", str(seconds), "--out", str(out)]
    if no_wait:
        cmd += ["--no-wait", "--settle", "3"]
    env = {**os.environ, "BENCH_LOGINS": prep["logins"], "BENCH_TOKENS": json.dumps(prep["tokens"])}
    load_before = os.getloadavg()[0]
    log = out.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as err:  # a file, not a pipe: a full pipe would block locust
        proc = subprocess.Popen(cmd, env=env, cwd=common.ROOT, text=True, stdout=subprocess.PIPE, stderr=err)
    cpu0 = t0 = None
    cpu_share = db_share = None
    db0: dict[int, float] = {}
    assert proc.stdout is not None
    for line in proc.stdout:  # loadtest.py marks the measured window on stdout
        if line.startswith("MEASURE START"):
            cpu0, db0, t0 = server.cpu_seconds(), server.db_cpu(), time.monotonic()
        elif line.startswith("MEASURE END") and cpu0 is not None and t0 is not None:
            elapsed = time.monotonic() - t0
            cpu_share = (server.cpu_seconds() - cpu0) / elapsed
            if server.db_name:
                db_share = sum(c - db0.get(pid, 0.0) for pid, c in server.db_cpu().items()) / elapsed
    if proc.wait() != 0:
        raise RuntimeError(f"loadtest.py failed: {log.read_text(encoding='utf-8').strip()[-1500:]}")
    res = json.loads(out.read_text(encoding="utf-8"))
    res["server_cpu_cores"] = round(cpu_share, 2) if cpu_share is not None else None
    res["db_cpu_cores"] = round(db_share, 2) if db_share is not None else None
    res["loadavg_before"] = round(load_before, 2)
    return res


def row(db: str, label: str, r: dict) -> list:
    t = r["total"]
    return [db, label, f"{t['rps']:.1f}", t["p50_ms"], t["p95_ms"], t["p99_ms"], t["max_ms"],
            f"{t['failures']}/{t['requests']}", r.get("server_cpu_cores"),
            "—" if r.get("db_cpu_cores") is None else r["db_cpu_cores"], r["loadgen_cpu_share"], r["loadavg_before"]]


def run() -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    # A SIGTERM (timeout, CI) still stops gunicorn: the finally blocks run on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    levels = [int(x) for x in os.environ.get("BENCH_LOAD_USERS", "50,200").split(",") if x.strip()]
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
    dbs = [d.strip() for d in os.environ.get("BENCH_LOAD_DBS", "sqlite,postgresql").split(",") if d.strip()]
    capacity = os.environ.get("BENCH_LOAD_CAPACITY", "1") != "0"
    print("    think time: browser users 5–15 s per page (mean 10 s), API clients 2–6 s; "
          "offered ≈ 0.115 req/s per user (200 users ≈ 23 req/s)")
    print("    static files: collectstatic into var/bench-load/static …", flush=True)
    manage(env_for("sqlite"), "collectstatic", "--noinput", "-v0")
    results: dict = {"levels": levels, "measured_seconds": seconds, "databases": {}}
    rows = []
    for db in dbs:
        env = env_for(db)
        prep = prepare(db, env)
        if prep is None:
            results["databases"][db] = {"skipped": "database not reachable"}
            continue
        s = prep["sizes"]
        print(f"    {db}: {s['version']}; {s['elderly']:,} elderly, {s['infants']:,} infants, "
              f"{s['institutions']:,} institutions, {s['practitioners']:,} practitioners"
              + (f"; built in {prep['build_seconds']} s" if prep["build_seconds"] else " (reused)"), flush=True)
        server = Server(db, env, free_port(int(os.environ.get("BENCH_LOAD_PORT", "8201"))))
        out: dict = {"sizes": s, "build_seconds": prep["build_seconds"], "levels": {}}
        try:
            for users in levels:
                print(f"    {db}: {users} users …", flush=True)
                r = level(db, server, prep, users, seconds)
                out["levels"][str(users)] = r
                rows.append(row(db, f"{users} 用户", r))
            if capacity:
                print(f"    {db}: capacity probe, 8 users without think time …", flush=True)
                r = level(db, server, prep, 8, min(seconds, 30), no_wait=True)
                out["capacity"] = r
                rows.append(row(db, "8 用户无间隔", r))
            out["workers"] = server.workers()
        finally:
            server.stop()
        results["databases"][db] = out
    print(f"    gunicorn: {next((o['workers'] for o in results['databases'].values() if 'workers' in o), '?')} "
          f"workers × {os.environ.get('BENCH_LOAD_THREADS', '2')} threads (gthread); {os.cpu_count()} cores, "
          "load generator on the same machine")
    common.table(["数据库", "负载", "请求/秒", "p50 ms", "p95 ms", "p99 ms", "最大 ms", "错误/请求", "gunicorn CPU 核",
                  "PG CPU 核", "压测 CPU 核", "开始前负载"], rows)
    for db, out in results["databases"].items():
        top = out.get("levels", {}).get(str(max(levels))) if levels else None
        if not top:
            continue
        slow = sorted(((k, v) for k, v in top["endpoints"].items() if v["requests"] and "login" not in k),
                      key=lambda kv: -kv[1]["p95_ms"])[:6]
        print(f"    {db}, {max(levels)} users, slowest endpoints by p95:")
        common.table(["请求", "次数", "p50 ms", "p95 ms", "p99 ms", "错误"],
                     [[k, v["requests"], v["p50_ms"], v["p95_ms"], v["p99_ms"], v["failures"]] for k, v in slow])
        for e in top["errors"][:5]:
            common.note(f"{e['name']}: {e['error']} ×{e['count']}")
    pg = results["databases"].get("postgresql", {}).get("levels", {}).get("200")
    if pg:
        t = pg["total"]
        ok = t["failures"] == 0 and t["p95_ms"] < TARGET_P95_MS
        results["target"] = {"p95_ms": t["p95_ms"], "errors": t["failures"], "met": ok}
        print(f"    target (PostgreSQL, 200 users: 0 errors, p95 < {TARGET_P95_MS} ms): "
              f"{'met' if ok else 'NOT met'} — p95 {t['p95_ms']} ms, {t['failures']} errors "
              f"({TARGET_P95_MS / max(t['p95_ms'], 1):.1f}× inside)")
    results["baseline"] = f"target: 0 errors and p95 < {TARGET_P95_MS} ms at 200 users on PostgreSQL"
    return results


if __name__ == "__main__":
    common.configure_environment()
    print(json.dumps(run(), ensure_ascii=False, indent=2)[:4000])
