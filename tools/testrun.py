"""Run the test suite on SQLite, then on PostgreSQL when one answers.

Under CI=true PostgreSQL is required: its absence is a failure, not a skip.
"""

import os
import subprocess
import sys

DEFAULT_URL = "postgres://root@127.0.0.1:5432/postgres"


def run_pytest(engine: str, extra_env: dict[str, str]) -> int:
    env = {**os.environ, **extra_env}
    print(f"==> tests on {engine}", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", *sys.argv[1:]], env=env)


def postgres_url() -> str | None:
    url = os.environ.get("TERCERO_TEST_DATABASE_URL", DEFAULT_URL)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure to connect means "not reachable"
        print(f"PostgreSQL not reachable at {url}: {error}", flush=True)
        return None
    return url


def main() -> int:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    os.environ.clear()
    os.environ.update(env)
    results = {"sqlite": run_pytest("SQLite", {"TERCERO_TEST_DB": "test.sqlite3"})}
    url = postgres_url()
    if url:
        results["postgresql"] = run_pytest(
            "PostgreSQL", {"DATABASE_URL": url, "TERCERO_TEST_DB": "test_tercero"}
        )
    elif os.environ.get("CI", "").lower() == "true":
        print("CI=true requires PostgreSQL; failing.", flush=True)
        results["postgresql"] = 1
    else:
        print("PostgreSQL run skipped (not reachable).", flush=True)
    for engine, code in results.items():
        print(f"{engine}: {'passed' if code == 0 else f'FAILED (exit {code})'}", flush=True)
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
