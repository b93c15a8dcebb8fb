"""Run the test suite on SQLite, then on PostgreSQL when one answers (`make test`).

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


def run_pytest(engine: str, env: dict[str, str]) -> tuple[int, float]:
    print(f"==> tests on {engine}", flush=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"tests-{engine.lower()}.log"
    log.unlink(missing_ok=True)
    started = time.monotonic()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", *sys.argv[1:]], env={**env, "LOG_FILE": str(log)}
    )
    return code, time.monotonic() - started


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

    code, seconds = run_pytest("SQLite", base)
    summary["sqlite"] = _verdict(code, seconds)
    failed |= code != 0

    url = reachable_postgres_url()
    if url:
        postgres = {**base, "DATABASE_URL": url, "TERCERO_TEST_DB": "test_tercero"}
        code, seconds = run_pytest("PostgreSQL", postgres)
        summary["postgresql"] = _verdict(code, seconds)
        failed |= code != 0
    elif os.environ.get("CI", "").strip().lower() == "true":
        summary["postgresql"] = "FAILED: CI=true requires PostgreSQL and none answered"
        failed = True
    else:
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
