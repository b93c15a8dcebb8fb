"""`tercero serve`: the web app, a task worker and the scheduler, together.

For one machine (the embedded mode of `make run`). In production run the three as
separate services: gunicorn, `tercero db_worker`, `tercero scheduler` (docs/operations.md).
"""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app with a task worker and the scheduler beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, **options):
        tercero = [sys.executable, "-m", "tercero"]
        children = {
            "worker": subprocess.Popen([*tercero, "db_worker", "--interval", "0.5"]),
            "scheduler": subprocess.Popen([*tercero, "scheduler"]),
            "web": subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "tercero.config.wsgi:application",
                    "--bind",
                    options["bind"],
                    "--workers",
                    str(options["web_workers"]),
                    "--access-logfile",
                    "-",
                ]
            ),
        }
        self.stdout.write(f"Tercero is running on http://{options['bind']}/ (Ctrl-C stops it).")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        try:
            exited = self._wait_for_first_exit(children)
            self.stderr.write(f"The {exited} process stopped; stopping the others.")
            code = 1
        except KeyboardInterrupt:
            code = 0
        self._stop(children)
        sys.exit(code)

    @staticmethod
    def _wait_for_first_exit(children: dict[str, subprocess.Popen]) -> str:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    return name
            time.sleep(0.5)

    @staticmethod
    def _stop(children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
