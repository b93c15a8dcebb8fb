"""Run the test suite on SQLite and on PostgreSQL when one answers (`make test`).

The two runs go side by side (one per core), each writing its output to
var/log/pytest-<engine>.out, printed whole when both are done; TERCERO_TEST_SERIAL=1
runs them one after the other instead, with live output.
PostgreSQL is found at TERCERO_TEST_DATABASE_URL (default: root on 127.0.0.1:5432).
Under CI=true PostgreSQL is required: its absence is a failure, not a skip.
Extra arguments are passed to pytest: `python tools/testrun.py -x src/tercero/platform`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_URL = "postgres://root@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_SECONDS = 3


LOG_DIR = Path("var/log")


class Run:
    """One engine's pytest run, started now, in the background or in the foreground."""

    def __init__(self, engine: str, env: dict[str, str], *, background: bool):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"tests-{engine.lower()}.log"
        log.unlink(missing_ok=True)
        self.engine = engine
        self.output = LOG_DIR / f"pytest-{engine.lower()}.out"
        self.started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", *sys.argv[1:]]
        env = {**env, "LOG_FILE": str(log)}
        if background:
            print(f"==> tests on {engine} (output in {self.output})", flush=True)
            self.process = subprocess.Popen(
                command, env=env, stdout=self.output.open("w"), stderr=subprocess.STDOUT
            )
        else:
            print(f"==> tests on {engine}", flush=True)
            self.output = None
            self.process = subprocess.Popen(command, env=env)

    def wait(self) -> tuple[int, float]:
        code = self.process.wait()
        seconds = time.monotonic() - self.started
        if self.output is not None:
            print(f"==> tests on {self.engine}", flush=True)
            print(self.output.read_text(), end="", flush=True)
        return code, seconds


def scan_logs() -> int:
    """The application's logs from the whole suite hold no personal data in clear."""
    logs = sorted(str(path) for path in LOG_DIR.glob("tests-*.log"))
    if not logs:
        return 0
    print("==> scanning the test runs' application logs for personal data", flush=True)
    return subprocess.call([sys.executable, "tools/plaintext_scan.py", *logs])


def reachable_postgres_url() -> str | None:
    url = os.environ.get("TERCERO_TEST_DATABASE_URL", DEFAULT_URL)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure to connect means "not reachable"
        print(f"PostgreSQL is not reachable at {url}: {error}".strip(), flush=True)
        return None
    return url


def main() -> int:
    # The SQLite run must not inherit a DATABASE_URL or test database name from the shell.
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TERCERO_TEST_DB"}
    }
    summary: dict[str, str] = {}
    failed = False

    serial = os.environ.get("TERCERO_TEST_SERIAL", "") == "1"
    url = reachable_postgres_url()
    runs = [Run("SQLite", base, background=not serial and bool(url))]
    if serial:
        code, seconds = runs.pop().wait()
        summary["sqlite"] = _verdict(code, seconds)
        failed |= code != 0
    if url:
        postgres = {**base, "DATABASE_URL": url, "TERCERO_TEST_DB": "test_tercero"}
        runs.append(Run("PostgreSQL", postgres, background=not serial))
    for run in runs:
        code, seconds = run.wait()
        summary[run.engine.lower()] = _verdict(code, seconds)
        failed |= code != 0
    if not url and os.environ.get("CI", "").strip().lower() == "true":
        summary["postgresql"] = "FAILED: CI=true requires PostgreSQL and none answered"
        failed = True
    elif not url:
        summary["postgresql"] = "skipped (not reachable; run .ci/run to start one)"

    if scan_logs() != 0:
        summary["log scan"] = "FAILED: personal data in clear in the application logs"
        failed = True
    else:
        summary["log scan"] = "clean"

    print("==> summary", flush=True)
    for engine, verdict in summary.items():
        print(f"{engine}: {verdict}", flush=True)
    return 1 if failed else 0


def _verdict(code: int, seconds: float) -> str:
    outcome = "passed" if code == 0 else f"FAILED (pytest exit {code})"
    return f"{outcome} in {seconds:.0f} s"


if __name__ == "__main__":
    sys.exit(main())
