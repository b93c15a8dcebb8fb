"""Run the test suite on SQLite and, when one answers, on PostgreSQL (`make test`).

The two runs go side by side, each with its own var directory (test database, media,
keys) and its own output, printed whole when the run ends; each run is spread over two
worker processes (`WORKERS`). TERCERO_TEST_SERIAL=1 runs them one after
the other with live output instead.

Every test runs on SQLite; the PostgreSQL run repeats every test that can reach the
database (a test that cannot, e.g. tax arithmetic or the import contracts, gives the same
result on any engine; conftest.py lists what counts as reaching it) but for the browser
tests other than the end-to-end journeys, and says how many it left to SQLite.

PostgreSQL is found at TERCERO_TEST_DATABASE_URL (default: root on 127.0.0.1:5432).
Under CI=true PostgreSQL is required: its absence is a failure, not a skip.
Extra arguments are passed to pytest: `python tools/testrun.py -x src/tercero/platform`.

With TERCERO_TEST_TYPECHECK=1 (`make test`) mypy checks the types beside the test runs
instead of before them, and its verdict joins the summary.

Each run lists its ten slowest tests; the summary ends with the wall time of the whole
`make test` (from TERCERO_TEST_STARTED, which the Makefile sets when make starts, so lint
and set-up count too) or, run alone, of this script.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_URL = "postgres://root@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_SECONDS = 3


# Each engine's run is spread over two worker processes (pytest-xdist, a test file to a
# worker at a time, each worker with its own test database and var directory:
# tests/workers.py): run side by side, one process per engine left a core idle once the
# shorter run ended, and a run alone used one core of two.
WORKERS = {"SQLite": 2, "PostgreSQL": 2}
TERCERO_TEST_SERIAL = os.environ.get("TERCERO_TEST_SERIAL", "").strip() not in ("", "0")
TYPECHECK = os.environ.get("TERCERO_TEST_TYPECHECK", "").strip() not in ("", "0")
MYPY = Path(sys.executable).with_name("mypy")
LOG_DIR = Path("var/log")
# Compiled bytecode: the installation compiles the dependencies (`uv pip sync
# --compile-bytecode` in the Makefile) and the test runs write the project's own beside
# it in __pycache__ (ignored by git), also where the shell sets PYTHONDONTWRITEBYTECODE:
# otherwise every worker process of a run compiles the same modules at the same time.


def _command(engine: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"tests-{engine.lower()}.log"
    log.unlink(missing_ok=True)
    var = Path("var") / f"test-{engine.lower()}"
    timeline = LOG_DIR / f"timeline-{engine.lower()}.tsv"
    timeline.unlink(missing_ok=True)
    env = {
        **env,
        "LOG_FILE": str(log),
        "TERCERO_VAR_DIR": str(var.resolve()),
        "TERCERO_TEST_TIMELINE": str(timeline.resolve()),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "-q", "--durations=10"]
    if engine in WORKERS:
        command += ["-p", "tests.workers", "-n", str(WORKERS[engine]), "--dist", "loadfile"]
    return [*command, *sys.argv[1:]], env


def run_pytest(engine: str, env: dict[str, str]) -> tuple[int, float]:
    """One engine's run with its output as it comes."""
    print(f"==> tests on {engine}", flush=True)
    command, env = _command(engine, env)
    started = time.monotonic()
    code = subprocess.call(command, env=env)
    return code, time.monotonic() - started


def run_side_by_side(
    runs: dict[str, dict[str, str]], *, typecheck: bool = False
) -> dict[str, tuple[int, float]]:
    """Every engine's run at once (and mypy's, with `typecheck`); each one's output printed
    whole when it ends."""
    print(f"==> tests on {' and '.join(runs)}, side by side", flush=True)
    started = time.monotonic()
    running = {}
    commands = {engine: _command(engine, env) for engine, env in runs.items()}
    if typecheck:
        commands = {"types (mypy)": ([str(MYPY)], dict(os.environ)), **commands}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for engine, (command, env) in commands.items():
        output = (LOG_DIR / f"pytest-{engine.split()[0].lower()}.out").open("w+")
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        running[engine] = (process, output)
    ended = {}
    while len(ended) < len(running):  # each engine's time ends when its own run does
        for engine, (process, _) in running.items():
            if engine not in ended and process.poll() is not None:
                ended[engine] = time.monotonic()
        time.sleep(0.2)
    results = {}
    for engine, (process, output) in running.items():
        results[engine] = (process.returncode, ended[engine] - started)
        output.seek(0)
        print(f"==> {'tests on ' if engine in runs else ''}{engine}", flush=True)
        sys.stdout.write(output.read())
        sys.stdout.flush()
        output.close()
    return results


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
    started = _started()
    # The SQLite run must not inherit a DATABASE_URL or test database name from the shell.
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TERCERO_TEST_DB"}
    }
    summary: dict[str, str] = {}
    failed = False

    runs = {"SQLite": base}
    url = reachable_postgres_url()
    if url:
        # the PostgreSQL test database: TERCERO_TEST_DB from the shell, so that runs
        # side by side on one server (several checkouts) each have their own
        name = os.environ.get("TERCERO_TEST_DB") or "test_tercero"
        # every test runs on SQLite; PostgreSQL repeats those that reach a database
        runs["PostgreSQL"] = {
            **base,
            "DATABASE_URL": url,
            "TERCERO_TEST_DB": name,
            "TERCERO_DATABASE_TESTS_ONLY": "1",
        }
    if not TERCERO_TEST_SERIAL and (len(runs) > 1 or TYPECHECK):
        results = run_side_by_side(runs, typecheck=TYPECHECK)
    else:
        results = {engine: run_pytest(engine, env) for engine, env in runs.items()}
    for engine, (code, seconds) in results.items():
        summary[engine.lower()] = _verdict(code, seconds)
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
    whole = "make test" if "TERCERO_TEST_STARTED" in os.environ else "tests"
    print(f"{whole}: {time.time() - started:.0f} s", flush=True)
    return 1 if failed else 0


def _started() -> float:
    """When `make test` started (the Makefile's TERCERO_TEST_STARTED), else now."""
    try:
        return float(os.environ["TERCERO_TEST_STARTED"])
    except (KeyError, ValueError):
        return time.time()


def _verdict(code: int, seconds: float) -> str:
    outcome = "passed" if code == 0 else f"FAILED (exit {code})"
    return f"{outcome} in {seconds:.0f} s"


if __name__ == "__main__":
    sys.exit(main())
