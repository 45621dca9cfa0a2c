"""Mixed official traffic against a running ylyx server: the users of the load benchmark (bench_05_load.py).

Who (weights): 旗县区工作人员 (demo_linhe, 临河区) 6; 市民政局管理员 (demo_minzheng, whole city) 2;
领导 (demo_lingdao, read-only, dashboards) 1; API clients with a token 1. Browser users log in through
the login form, load each static asset once (then it is in their cache: hashed names, immutable),
and think 5–15 s between page views (uniform, mean 10 s): an official reads a list or a record before
the next click; a detail page opens a record from the last list the user saw. API clients wait 2–6 s
between requests (an integration job paging through results). At N users that offers about
0.9·N/10 + 0.1·N/4 ≈ 0.115·N requests/s (200 users ≈ 23/s, 50 users ≈ 6/s).

Used two ways:

    .venv/bin/python bench/loadtest.py --host http://127.0.0.1:8201 --users 200 --seconds 60 --out r.json
    .venv/bin/locust -f bench/loadtest.py --host http://127.0.0.1:8201     # interactive, web UI

Inputs from the environment: ``BENCH_LOGINS`` (the build's demo-logins.txt), ``BENCH_TOKENS`` (JSON
``{username: API token}``), and, once city admins need a second factor, ``BENCH_TOTP_SECRETS`` (JSON
``{username: base32 secret}``) used by :meth:`Browser.second_factor`. Only loopback hosts are accepted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import ipaddress
import json
import os
import random
import re
import resource
import struct
import sys
import time
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

STATIC = re.compile(r'(?:src|href)="(/static/[^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN_PATH = "/accounts/login/"
# Set once each browser user has logged in, so the runner starts measuring after the log-in wave.
logged_in: set[int] = set()
failed: set[int] = set()


def loopback_only(host: str) -> str:
    name = urlsplit(host).hostname or ""
    try:
        ok = ipaddress.ip_address(name).is_loopback
    except ValueError:
        ok = name == "localhost"
    if not ok:
        raise SystemExit(f"refusing to load-test {host}: only loopback addresses (127.0.0.1, ::1, localhost)")
    return host


def read_logins() -> dict[str, str]:
    path = os.environ.get("BENCH_LOGINS", "var/demo-logins.txt")
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[1].startswith("demo_"):
                out[parts[1]] = parts[2]
    return out


def totp(secret_b32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 code (SHA-1, 30 s), as authenticator apps and django-otp compute it."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // step))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 10**digits).zfill(digits)


LOGINS: dict[str, str] = {}
TOKENS: dict[str, str] = json.loads(os.environ.get("BENCH_TOKENS", "{}"))
TOTP_SECRETS: dict[str, str] = json.loads(os.environ.get("BENCH_TOTP_SECRETS", "{}"))


@events.init.add_listener
def _init(environment, **kwargs):
    if environment.host:
        loopback_only(environment.host)
    LOGINS.update(read_logins())


class Browser(FastHttpUser):
    abstract = True
    wait_time = between(5, 15)
    username = ""

    def on_start(self) -> None:
        self.cached: set[str] = set()
        self.login()
        logged_in.add(id(self))

    # -- log-in ------------------------------------------------------------------------------------

    def login(self) -> None:
        page = self.client.get(LOGIN_PATH, name="login: form")
        token = CSRF.search(page.text or "")
        resp = self.client.post(LOGIN_PATH, name="login: password",
                                data={"csrfmiddlewaretoken": token.group(1) if token else "",
                                      "username": self.username, "password": LOGINS.get(self.username, "")},
                                headers={"Referer": self.host + LOGIN_PATH})
        if self.needs_second_factor(resp):
            resp = self.second_factor(resp)
        path = urlsplit(resp.url or "").path
        if resp.status_code != 200 or path.startswith(LOGIN_PATH):
            self.give_up(f"login as {self.username} failed (HTTP {resp.status_code}, at {path})")
        self.assets(resp.text or "")

    def give_up(self, message: str) -> None:
        """Count a failed log-in as an error and stop this user (the others go on)."""
        failed.add(id(self))
        self.environment.events.request.fire(request_type="LOGIN", name="login: result", response_time=0,
                                             response_length=0, exception=RuntimeError(message), context={})
        raise StopUser()

    def needs_second_factor(self, resp) -> bool:
        """After the password, a page that asks for a one-time code (2FA for city admins)."""
        return resp.status_code == 200 and bool(re.search(r'name="(otp_token|token|code)"', resp.text or "")) \
            and 'name="password"' not in (resp.text or "")

    def second_factor(self, resp):
        """Submit the current TOTP code for this user; the secret comes from BENCH_TOTP_SECRETS."""
        secret = TOTP_SECRETS.get(self.username)
        if not secret:
            self.give_up(f"{self.username} needs a one-time code: set BENCH_TOTP_SECRETS")
        field = re.search(r'name="(otp_token|token|code)"', resp.text).group(1)
        action = urlsplit(resp.url).path
        token = CSRF.search(resp.text)
        data = {field: totp(secret), "csrfmiddlewaretoken": token.group(1) if token else ""}
        return self.client.post(action, data=data, name="login: one-time code",
                                headers={"Referer": self.host + action})

    # -- pages -------------------------------------------------------------------------------------

    def page(self, path: str, name: str) -> str:
        """GET a page as a browser would: a login redirect or an error counts as a failure."""
        with self.client.get(path, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return ""
            if urlsplit(resp.url or "").path.startswith(LOGIN_PATH):
                resp.failure("sent back to the login page")
                return ""
            text = resp.text or ""
        self.assets(text)
        return text

    def assets(self, html: str) -> None:
        for url in STATIC.findall(html):
            if url not in self.cached:
                self.cached.add(url)
                self.client.get(url, name="/static/[asset]")

    def ids(self, html: str, prefix: str) -> list[str]:
        return re.findall(rf'href="{re.escape(prefix)}(\d+)/"', html)

    def last_page(self, html: str) -> int:
        m = re.search(r"第 \d+ / (\d+) 页", html)
        return int(m.group(1)) if m else 1

    def options(self, html: str, name: str) -> list[str]:
        """The values of a <select name=...> in a filter form (e.g. the 区划 choices for this user)."""
        m = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
        return [v for v in re.findall(r'<option value="([^"]+)"', m.group(1))] if m else []



ELDERLY_FILTERS = ["economic_status=tekun", "economic_status=dibao", "age_band=80%2B", "age_band=65-79",
                   "living_situation=alone", "residing=1", "disability=any", "special_family=1", "sex=F"]


class Registry(Browser):
    """Shared by the officials who work the registry: every task is one page view, then think time.

    A detail page opens one of the records on the list page the user saw last, as a click would.
    """
    abstract = True
    detail_prefixes = {"/people/elderly/": "/people/elderly/[id]/", "/people/infants/": "/people/infants/[id]/",
                       "/institutions/": "/institutions/[id]/"}

    def on_start(self) -> None:
        super().on_start()
        self.seen: dict[str, list[str]] = {}
        first = self.list_page("/people/elderly/", "/people/elderly/", "/people/elderly/")
        self.areas = self.options(first, "area") or [""]
        self.pages = self.last_page(first)

    def list_page(self, path: str, name: str, prefix: str) -> str:
        html = self.page(path, name)
        ids = self.ids(html, prefix)
        if ids:
            self.seen[prefix] = ids
        return html

    def detail(self, prefix: str) -> None:
        ids = self.seen.get(prefix)
        if ids:
            self.page(f"{prefix}{random.choice(ids)}/", self.detail_prefixes[prefix])

    def elderly_filtered(self, with_area: float) -> None:
        q = random.choice(ELDERLY_FILTERS)
        if random.random() < with_area:
            q += f"&area={random.choice(self.areas)}"
        self.list_page(f"/people/elderly/?{q}", "/people/elderly/?[filters]", "/people/elderly/")


class CountyOfficer(Registry):
    """临河区 (170,000 elderly records): works the county's registry, now and then opens the dashboard."""
    weight = 6
    username = "demo_linhe"

    @task(5)
    def elderly_list_filtered(self):
        self.elderly_filtered(with_area=0.5)

    @task(5)
    def elderly_detail(self):
        self.detail("/people/elderly/")

    @task(2)
    def elderly_list_page(self):
        self.list_page(f"/people/elderly/?page={random.randint(1, min(self.pages, 50))}",
                       "/people/elderly/?page=[n]", "/people/elderly/")

    @task(1)
    def infants(self):
        q = random.choice(["", "enrolled=1", "age_band=12-24", "status=active"])
        self.list_page(f"/people/infants/?{q}", "/people/infants/?[filters]", "/people/infants/")

    @task(1)
    def infant_detail(self):
        self.detail("/people/infants/")

    @task(1)
    def institutions(self):
        kind = random.choice(["elder", "community", "childcare"])
        self.list_page(f"/institutions/?kind={kind}", "/institutions/?kind=[kind]", "/institutions/")

    @task(1)
    def institution_detail(self):
        self.detail("/institutions/")

    @task(1)
    def workforce(self):
        self.page("/workforce/", "/workforce/")

    @task(1)
    def dashboard(self):
        self.page("/indicators/", "/indicators/")

    @task(1)
    def home(self):
        self.page("/", "/")


class CityAdmin(Registry):
    """市民政局: the same registry for the whole city (518,000 elderly records), institutions, dashboard."""
    weight = 2
    username = "demo_minzheng"

    @task(4)
    def elderly_list_filtered(self):
        self.elderly_filtered(with_area=0.7)

    @task(3)
    def elderly_detail(self):
        self.detail("/people/elderly/")

    @task(1)
    def elderly_deep_page(self):
        self.list_page(f"/people/elderly/?page={random.randint(1, self.pages)}", "/people/elderly/?page=[n]",
                       "/people/elderly/")

    @task(2)
    def institutions(self):
        q = random.choice(["kind=elder", "kind=community", "subtype=private", "status=operating",
                           "operation_mode=public_private"])
        self.list_page(f"/institutions/?{q}", "/institutions/?kind=[kind]", "/institutions/")

    @task(2)
    def institution_detail(self):
        self.detail("/institutions/")

    @task(1)
    def dashboard(self):
        self.page("/indicators/", "/indicators/")

    @task(1)
    def workforce(self):
        self.page("/workforce/", "/workforce/")


COUNTIES = ["150802", "150821", "150822", "150823", "150824", "150825", "150826"]


class CityLeader(Browser):
    """领导（只读）: the plan dashboard, drilling into counties, and the institutions."""
    weight = 1
    username = "demo_lingdao"

    def on_start(self) -> None:
        super().on_start()
        self.institution_ids: list[str] = []

    @task(3)
    def dashboard(self):
        self.page("/indicators/", "/indicators/")

    @task(3)
    def dashboard_county(self):
        self.page(f"/indicators/?region={random.choice(COUNTIES)}000000", "/indicators/?region=[county]")

    @task(2)
    def institutions(self):
        html = self.page(f"/institutions/?kind={random.choice(['elder', 'childcare'])}", "/institutions/?kind=[kind]")
        self.institution_ids = self.ids(html, "/institutions/") or self.institution_ids

    @task(1)
    def institution_detail(self):
        if self.institution_ids:
            self.page(f"/institutions/{random.choice(self.institution_ids)}/", "/institutions/[id]/")

    @task(1)
    def home(self):
        self.page("/", "/")


class ApiClient(FastHttpUser):
    """An integration job with a token: pages through filtered lists, reads records, indicators, statistics."""
    weight = 1
    wait_time = between(2, 6)

    def on_start(self) -> None:
        users = sorted(TOKENS)
        if not users:
            failed.add(id(self))
            raise StopUser()
        self.user = random.choice(users)
        self.headers = {"Authorization": f"Token {TOKENS[self.user]}", "Accept": "application/json"}
        self.plan = None
        self.pages: dict[str, int] = {}  # filter -> number of pages, learnt from the first answer
        self.seen: dict[str, list[int]] = {}
        logged_in.add(id(self))

    def get(self, path: str, name: str) -> dict:
        with self.client.get(path, name=name, headers=self.headers, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return {}
            try:
                return resp.json()
            except ValueError:
                resp.failure("not JSON")
                return {}

    @task(4)
    def elderly(self):
        q = random.choice(["economic_status=tekun", "age_band=80%2B", "residing=1", "disability=any", ""])
        page = random.randint(1, min(self.pages.get(q, 1), 20))
        data = self.get(f"/api/elderly/?{q}&page={page}", "/api/elderly/?[filters]")
        rows = data.get("results") or []
        if page == 1 and rows:
            self.pages[q] = -(-int(data.get("count", 0)) // len(rows))
        if rows:
            self.seen["elderly"] = [r["id"] for r in rows]

    @task(3)
    def elderly_detail(self):
        if self.seen.get("elderly"):
            self.get(f"/api/elderly/{random.choice(self.seen['elderly'])}/", "/api/elderly/[id]/")

    @task(2)
    def institutions(self):
        data = self.get(f"/api/institutions/?kind={random.choice(['elder', 'community', 'childcare'])}",
                        "/api/institutions/?kind=[kind]")
        if data.get("results"):
            self.seen["institutions"] = [r["id"] for r in data["results"]]

    @task(1)
    def institution_detail(self):
        if self.seen.get("institutions"):
            self.get(f"/api/institutions/{random.choice(self.seen['institutions'])}/", "/api/institutions/[id]/")

    @task(1)
    def indicators(self):
        if self.plan is None:
            plans = self.get("/api/plans/", "/api/plans/").get("results") or []
            self.plan = plans[0]["id"] if plans else 0
        elif self.plan:
            self.get(f"/api/plans/{self.plan}/indicators/?breakdown=0", "/api/plans/[id]/indicators/")

    @task(1)
    def stats(self):
        self.get("/api/stats/", "/api/stats/")


USER_CLASSES = [CountyOfficer, CityAdmin, CityLeader, ApiClient]


# -- headless run as a library (what bench_05_load.py calls) -----------------------------------------

def summarise(env, seconds: float, cpu_s: float) -> dict:
    from locust.stats import StatsEntry

    def entry_dict(e) -> dict:
        return {"requests": e.num_requests, "failures": e.num_failures,
                "p50_ms": e.get_response_time_percentile(0.50), "p95_ms": e.get_response_time_percentile(0.95),
                "p99_ms": e.get_response_time_percentile(0.99), "max_ms": round(e.max_response_time or 0),
                "rps": round(e.num_requests / seconds, 2)}

    total = StatsEntry(env.stats, "measured", "", use_response_times_cache=False)
    endpoints = {}
    for (name, method), e in env.stats.entries.items():
        endpoints[f"{method} {name}"] = entry_dict(e)
        if not name.startswith("login"):  # the log-in wave is reported apart, not in the mix
            total.extend(e)
    errors = [{"name": f"{e.method} {e.name}", "error": str(e.error), "count": e.occurrences}
              for e in env.stats.errors.values()]
    return {"seconds": round(seconds, 1), "total": entry_dict(total), "endpoints": endpoints, "errors": errors,
            "loadgen_cpu_share": round(cpu_s / seconds, 2)}


def main() -> int:
    import gevent
    from locust.env import Environment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=60, help="measured time, after everyone has logged in")
    parser.add_argument("--settle", type=float, default=10, help="seconds between the last log-in and measuring")
    parser.add_argument("--no-wait", action="store_true", help="no think time: closed-loop capacity probe")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    loopback_only(args.host)
    if args.no_wait:
        for cls in USER_CLASSES:
            cls.wait_time = between(0, 0)
    env = Environment(user_classes=USER_CLASSES, host=args.host, events=events)
    env.events.init.fire(environment=env, runner=None, web_ui=None)
    runner = env.create_local_runner()
    t_start = time.monotonic()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    ramp_limit = t_start + args.users / args.spawn_rate + 180
    while (len(logged_in) + len(failed) < args.users or runner.user_count < args.users) and time.monotonic() < ramp_limit:
        gevent.sleep(0.5)
    ramp = time.monotonic() - t_start
    login_stats = {k: v for k, v in summarise(env, ramp, 0)["endpoints"].items() if "login" in k}
    # The log-in wave (Argon2, ~0.15 CPU-s each) leaves a queue behind it; measure from steady state.
    gevent.sleep(args.settle)
    env.stats.reset_all()
    print("MEASURE START", flush=True)
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    gevent.sleep(args.seconds)
    cpu1, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    print("MEASURE END", flush=True)
    out = summarise(env, elapsed, (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime))
    out.update(users=args.users, logged_in=len(logged_in), login_failed=len(failed), ramp_seconds=round(ramp, 1), login=login_stats,
               think_time="none" if args.no_wait else "browser 5-15 s, API 2-6 s")
    runner.quit()
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
