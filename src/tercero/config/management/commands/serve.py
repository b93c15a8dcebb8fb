"""`tercero serve`: the web app, its task workers and the scheduler, together.

For one machine (the embedded mode of `make run`). In production run the three as
separate services: gunicorn, `tercero worker`, `tercero scheduler` (docs/operations.md).
Static files need no `collectstatic`: WhiteNoise serves them through the finders.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_TIMEOUT_SECONDS = 10
READY_TIMEOUT_SECONDS = 180
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _child_setup() -> None:
    """Runs in each child before exec. Its own process group keeps a terminal's Ctrl-C
    to us, so each child gets exactly one SIGTERM; on Linux the kernel also sends it
    SIGTERM if `serve` dies without cleaning up (even by SIGKILL), so nothing is orphaned."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def login_url(bind: str) -> str:
    """Where people sign in: PUBLIC_BASE_URL when set (the address they use, behind a
    proxy), else the address served on (a wildcard bind is reached on this machine)."""
    base = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not base:
        host, _, port = bind.rpartition(":")
        if host in ("", "0.0.0.0", "[::]", "::"):
            host = "127.0.0.1"
        base = f"http://{host}:{port}"
    return f"{base}/login/"


def answers(bind: str, *, timeout_seconds: float = READY_TIMEOUT_SECONDS) -> bool:
    """Wait until the web app answers on `bind` (its workers loaded and warmed)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return True
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    return False


# The task workers `serve` starts: process name -> the queue it takes, so draining the
# outbox, sending webhooks, long computations and the short jobs run side by side.
WORKERS = {
    "worker": "default",
    "events worker": "events",
    "webhooks worker": "webhooks",
    "long-job worker": "long",
}


def _spawn(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, process_group=0, preexec_fn=_child_setup)


class Command(BaseCommand):
    help = "Serve the web app with its task workers and the scheduler beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port for the web app")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, **options):
        # WhiteNoise warns when STATIC_ROOT is missing, even though finders serve everything.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        stop_requested: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, frame: stop_requested.append(number))
        children = self._start(options)
        if answers(options["bind"]):
            self.stdout.write(
                f"Tercero is ready: sign in at {login_url(options['bind'])} (Ctrl-C stops it).",
                ending="\n",
            )
        else:
            self.stderr.write(f"Tercero did not answer on {options['bind']} in time.")
        self.stdout.flush()
        exited = self._wait_for_first_exit(children, stop_requested)
        if exited:
            code = children[exited].returncode
            self.stderr.write(f"The {exited} process stopped (exit {code}); stopping the others.")
        self._stop(children)
        if exited:
            sys.exit(1)
        self.stdout.write("Tercero stopped.")

    @staticmethod
    def _start(options) -> dict[str, subprocess.Popen]:
        tercero = [sys.executable, "-m", "tercero"]
        gunicorn = [sys.executable, "-m", "gunicorn", "tercero.config.wsgi:application"]
        return {
            # one worker per task queue (settings.TASKS): the outbox drains and long
            # computations never wait behind each other or behind the short jobs
            **{
                name: _spawn(
                    [
                        *tercero,
                        "worker",
                        "--interval",
                        "0.5",
                        "--no-scheduler",
                        "--queue-name",
                        queue,
                    ]
                )
                for name, queue in WORKERS.items()
            },
            "scheduler": _spawn([*tercero, "scheduler"]),
            "web": _spawn(
                [
                    *gunicorn,
                    "--bind",
                    options["bind"],
                    "--workers",
                    str(options["web_workers"]),
                    "--worker-class",
                    "sync",
                    # load and warm the app once (config/wsgi.py), then fork warm workers
                    "--preload",
                    "--access-logfile",
                    "-",
                    # the path only: query strings (searches, codes) never reach the log
                    "--access-logformat",
                    '%(t)s %(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
                ]
            ),
        }

    @staticmethod
    def _wait_for_first_exit(children: dict[str, subprocess.Popen], stop_requested) -> str | None:
        """The name of the first child to exit, or None once a stop was requested."""
        while not stop_requested:
            for name, child in children.items():
                if child.poll() is not None:
                    return name
            time.sleep(0.2)
        return None

    @staticmethod
    def _stop(children: dict[str, subprocess.Popen]) -> None:
        """SIGTERM every child still running, then wait; kill what will not stop."""
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
