"""``manage.py serve``: gunicorn (``ylyx.gunicorn_conf``) and the task worker (``db_worker``) together.

For `make demo` and `make serve-prod`: one foreground command that starts both, stops both on Ctrl-C
or SIGTERM, and stops the other when one of them dies (a web server without its worker would accept
imports and reports that never run). Production under systemd runs the two as separate units instead
(docs/operators.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

import ylyx


def _die_with_parent() -> None:
    """In the child: get SIGTERM if this supervisor dies without cleaning up (Linux only, best effort)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(commands: dict[str, list[str]], env: dict[str, str], grace: float = 40) -> str:
    """Run the commands until a signal or until one exits; stop the rest. Returns why, if one failed."""
    # Children get their own process group: Ctrl-C reaches only this supervisor, which then sends
    # each child one SIGTERM (a second signal would make db_worker abandon its running task).
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    procs: dict[str, subprocess.Popen] = {}
    failed = ""
    try:
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
        while not stopping:
            for name, p in procs.items():
                if p.poll() is not None:
                    failed = f"{name} 已退出（返回码 {p.returncode}），已停止其余进程"
                    stopping = True
                    break
            time.sleep(0.2)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace  # gunicorn's graceful_timeout is 30 s
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return failed


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）和后台任务进程（db_worker）；Ctrl-C 同时停止两者"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="", help="监听地址，默认 127.0.0.1:8000（或环境变量 YLYX_BIND）")
        parser.add_argument("--workers", type=int, default=0, help="gunicorn 进程数，默认按 CPU 核数")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, **opts):
        env = os.environ.copy()
        src = str(Path(ylyx.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        if opts["bind"]:
            env["YLYX_BIND"] = opts["bind"]
        if opts["workers"]:
            env["WEB_CONCURRENCY"] = str(opts["workers"])
        manage = [sys.executable, "-m", "django"]
        commands = {"gunicorn": [sys.executable, "-m", "gunicorn", "-c", "python:ylyx.gunicorn_conf"]}
        if not opts["no_worker"]:
            commands["db_worker"] = [*manage, "db_worker"]
        failed = supervise(commands, env)
        if failed:
            self.stderr.write(failed)
            sys.exit(1)
