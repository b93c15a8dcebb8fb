"""One single create as a gunicorn worker handles it, beside the bare view, in one process.

    DATABASE_URL=postgres://root@127.0.0.1/postgres .venv/bin/python bench/ingest_profile.py

Sets up what `bench/ingest.py` does (a throw-away database, one live engagement with a
queue of `capture.document` items, a client user's API token, the bare view's table),
connects as the application role (row-level security binds), then drives Django's WSGI
handler with the real URL conf and middleware the way a gunicorn worker does, alternating
`--rounds` rounds of `--requests` single creates with the same number through the bare
view (`bench/ingest_baseline`: no middleware, one insert) on Django's own backend.

Prints the statements each request ran, CPU and wall milliseconds per request of both
(medians over the rounds) and their ratio; with `--profile FILE` writes a cProfile of
the single creates (one further round, timed by CPU, not wall) and prints its top
functions.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402  (the bench's own setup, beside this file)

DATABASE = "tercero_bench_ingest_profile"


class BareRouter:
    """The bare view's table lives behind Django's own backend, as in its own server."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "bare" if model._meta.app_label == "ingest_baseline" else None

    db_for_write = db_for_read


def _setup(database_url: str) -> None:
    import psycopg

    base, _, _ = database_url.rpartition("/")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{base}/{DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tercero.config.settings"
    os.environ.setdefault("TERCERO_VAR_DIR", f"/tmp/{DATABASE}")
    from django.conf import settings

    bare = dict(settings.DATABASES["default"])
    bare["ENGINE"] = "django.db.backends.postgresql"
    settings.DATABASES["bare"] = bare
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "ingest_baseline"]
    settings.DATABASE_ROUTERS = [f"{__name__}.BareRouter"]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _as_app_role() -> None:
    from django.db import connections

    from tercero.platform.ops.database import grant_app_role

    grant_app_role(role=ingest.APP_ROLE)
    ingest._grant_baseline()
    for alias in ("default", "bare"):
        connections[alias].close()
        connections[alias].settings_dict["USER"] = ingest.APP_ROLE


class Counter:
    """Counts the statements Django sends on every connection."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append(sql)
        return execute(sql, params, many, context)


def _driver(handler: Any, path: str, headers: dict[str, str], body: Any):
    """A function posting the n-th body to `path` through `handler` as gunicorn would."""
    from django.test import RequestFactory

    factory = RequestFactory()

    def post(n: int) -> int:
        environ = factory.post(
            path, data=json.dumps(body(n)), content_type="application/json", headers=headers
        ).environ
        status: list[str] = []
        chunks = handler(environ, lambda line, _headers: status.append(line))
        b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        if not status[0].startswith("201"):
            raise SystemExit(f"{path} answered {status[0]}: {b''.join(chunks)!r}")
        return n

    return post


def _time(post: Any, start: int, requests: int) -> tuple[float, float]:
    """CPU and wall milliseconds per request over `requests` posts."""
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(start, start + requests):
        post(n)
    return (
        (time.process_time() - cpu) * 1000 / requests,
        (time.perf_counter() - wall) * 1000 / requests,
    )


def main(argv: list[str] | None = None) -> int:  # noqa: C901  (a bench's steps, in order)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=200, help="per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write a cProfile of --profile-requests creates here")
    parser.add_argument("--profile-requests", type=int, default=1000)
    args = parser.parse_args(argv)
    if not (args.database_url or "").startswith("postgres"):
        raise SystemExit("needs DATABASE_URL (or --database-url) naming a PostgreSQL server")

    _setup(args.database_url)
    queue_id, token = ingest._world()
    ingest._baseline_table()
    _as_app_role()

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections
    from django.test.utils import override_settings

    tercero = _driver(
        WSGIHandler(),
        "/api/v1/work-items",
        {"authorization": f"Bearer {token}"},
        lambda n: {"queue_id": queue_id, **ingest._document(n)},
    )
    with override_settings(MIDDLEWARE=[], ROOT_URLCONF="ingest_baseline.urls"):
        bare_handler = WSGIHandler()
    bare_settings = override_settings(ROOT_URLCONF="ingest_baseline.urls")
    bare_post = _driver(bare_handler, "/rows", {}, ingest._document)

    def bare(n: int) -> int:
        with bare_settings:
            return bare_post(n)

    for post in (tercero, bare):  # warm up: imports, prepared statements, caches
        _time(post, 10_000_000, 50)

    counted = {}
    for name, post in (("tercero", tercero), ("bare", bare)):
        counter = Counter()
        with (
            connections["default"].execute_wrapper(counter),
            connections["bare"].execute_wrapper(counter),
        ):
            post(20_000_000)
        counted[name] = counter.statements
    for name, statements in counted.items():
        print(f"{name}: {len(statements)} statements a request")
        for sql in statements:
            print(f"    {sql[:150]}")

    cpu: dict[str, list[float]] = {"tercero": [], "bare": []}
    wall: dict[str, list[float]] = {"tercero": [], "bare": []}
    start = 0
    for _ in range(args.rounds):
        for name, post in (("tercero", tercero), ("bare", bare)):
            start += args.requests
            took_cpu, took_wall = _time(post, start, args.requests)
            cpu[name].append(took_cpu)
            wall[name].append(took_wall)
    for name in cpu:
        print(
            f"{name:<8} CPU {statistics.median(cpu[name]):6.2f} ms a request"
            f" (rounds {', '.join(f'{v:.2f}' for v in cpu[name])}),"
            f" wall {statistics.median(wall[name]):6.2f} ms"
        )
    ratio = statistics.median(cpu["bare"]) / statistics.median(cpu["tercero"])
    print(
        f"RESULT statements={len(counted['tercero'])} bare_statements={len(counted['bare'])}"
        f" cpu_ms={statistics.median(cpu['tercero']):.2f}"
        f" bare_cpu_ms={statistics.median(cpu['bare']):.2f} cpu_ratio={ratio:.2f}"
        f" wall_ms={statistics.median(wall['tercero']):.2f}"
        f" bare_wall_ms={statistics.median(wall['bare']):.2f}"
        f" load={os.getloadavg()[0]:.2f}"
    )

    if args.profile:
        # timed by this process's CPU clock: waits on the server and other processes'
        # load do not count, so the functions' shares hold on a shared machine
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for n in range(30_000_000, 30_000_000 + args.profile_requests):
            tercero(n)
        profiler.disable()
        profiler.dump_stats(args.profile)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(60)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
