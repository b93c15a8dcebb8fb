"""Shared fixtures. Every test has two clients, so an outsider is always present."""

import gc
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, connections, transaction
from django.test import TransactionTestCase
from tests import migrated_db
from whitenoise.middleware import WhiteNoiseMiddleware

from tercero.platform.audit.immutability import allow_flush
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.ops.database import grant_app_role
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.tests.factories import ClientFactory, ProviderFactory

APP_ROLE = "tercero_app"


def pytest_configure(config):
    settings.PASSWORD_HASHERS = [
        "tercero.platform.identity.tests.hashers.QuickArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        # A test database is thrown away: its commits need not wait for the disk (the
        # pages' live server, module-wide data and transactional tests commit often).
        database.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"


# The cyclic garbage collector, with Python's defaults, walks the whole heap (Django, the
# OpenAPI document, hypothesis' strategies) every few thousand allocations: a sixth of
# the suite's CPU. What exists once the tests are collected is frozen out of its walks,
# and young objects are collected less eagerly (measured in BENCHMARKS.md).
GC_THRESHOLDS = (50_000, 20, 100)


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# What a test must ask for to reach the database (pytest-django blocks it otherwise).
DATABASE_FIXTURES = (
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "django_db_setup",
    "live_server",
    "owner_cursor",
)


def pytest_collection_modifyitems(config, items):
    _module_db_tests_last(items)
    if connection.vendor == "postgresql":
        if os.environ.get("TERCERO_DATABASE_TESTS_ONLY"):
            _database_tests_only(config, items)
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _second_factor(request, settings):
    """Most tests sign in with a password alone; tests marked `mfa` (and the MFA tests
    themselves) run with the second factor enforced, as production does."""
    settings.MFA_ENFORCED = "mfa" in request.keywords


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_keepdb, django_db_createdb):
    """The run starts from the migrated copy an earlier run kept, when it was made from
    this same source tree (tests/migrated_db.py), instead of migrating from scratch."""
    migrated_db.digest(connection.vendor)  # taken before any migration runs, then kept
    if django_db_keepdb or django_db_createdb:
        return django_db_keepdb
    # the workers of one run take turns: the first migrates and keeps a copy
    migrated_db.take_turn(connection.vendor)
    if migrated_db.restore(connection):
        migrated_db.done()
        return True
    # a run started by another run, of a tree that adds to it (the toy service line),
    # may start from that run's copy, with the same keys, and migrate only what it adds
    base = os.environ.get("TERCERO_TEST_BASE_DB")
    return bool(base) and migrated_db.restore_from(connection, base)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb):
    """On PostgreSQL, tests run as a role that owns no table, so row-level security and
    the audit trail's missing UPDATE/DELETE rights bind exactly as in production."""
    if connection.vendor != "postgresql":
        if not django_db_keepdb:  # migrated from scratch: keep a copy for the next run
            migrated_db.save(connection)
        migrated_db.done()
        with django_db_blocker.unblock():
            _REFERENCE[connection.alias] = _reference_rows(connection)
        yield
        return
    owner = connection.settings_dict["USER"]
    with django_db_blocker.unblock():
        grant_app_role(role=APP_ROLE, allow_truncate=True)
        _REFERENCE[connection.alias] = _reference_rows(connection)
    connection.close()
    if not django_db_keepdb:
        migrated_db.save(connection)
    migrated_db.done()
    connection.settings_dict["USER"] = APP_ROLE
    yield
    connection.close()
    connection.settings_dict["USER"] = owner


@pytest.fixture(autouse=True)
def _audit_trail_is_append_only():
    """Every test starts with the audit trail's triggers in force (see below)."""
    allow_flush(False)


@pytest.fixture
def transactional_db(transactional_db):
    """Transactional tests commit for real; emptying the tables afterwards must get past
    the audit trail's append-only triggers (SQLite deletes rows; PostgreSQL truncates,
    which row triggers do not see). Teardown runs before pytest-django's flush."""
    yield
    allow_flush(True)


class _NotEmptied(Exception):
    """A table still held rows after the DELETEs: flush as Django does instead."""


# The rows Django's post-migrate step writes (content types and permissions), as the
# migrated test database holds them: a transactional test's clean-up leaves them in place
# when they are still exactly these, rather than deleting and writing them all again.
REFERENCE_TABLES = ("django_content_type", "auth_permission")
_REFERENCE: dict[str, tuple] = {}


def _reference_rows(conn) -> tuple:
    with conn.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT count(*), max(id) FROM {conn.ops.quote_name(table)}"
                for table in REFERENCE_TABLES
            )
        )
        return tuple(cursor.fetchall())


def _empty_by_delete(conn, keep: tuple[str, ...] = ()) -> bool:
    """Empty every table of the PostgreSQL test database with DELETE in one transaction,
    in the all-clients scope (row-level security hides nothing from it), and TRUNCATE only
    the append-only tables, whose triggers refuse a DELETE. Django's flush truncates every
    table instead: on PostgreSQL that makes new files for each table and index, about a
    second per transactional test, where these DELETEs on a test's few rows take a few
    milliseconds. False (and nothing changed) if a table is not empty afterwards or the
    database refuses: the caller then flushes as Django does."""
    tables = [
        table
        for table in conn.introspection.django_table_names(only_existing=True, include_views=False)
        if table not in keep
    ]
    quote = conn.ops.quote_name
    try:
        with (
            all_clients_scope(),
            transaction.atomic(using=conn.alias),
            conn.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT DISTINCT t.tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p "
                "ON p.oid = t.tgfoid WHERE p.proname = 'tercero_refuse_change'"
            )
            append_only = {name for (name,) in cursor.fetchall()}
            for table in tables:
                if table not in append_only:
                    cursor.execute(f"DELETE FROM {quote(table)}")
            if append_only:
                # with the tables that refer to them (already emptied above)
                names = ", ".join(map(quote, sorted(append_only)))
                cursor.execute(f"TRUNCATE {names} CASCADE")
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT 1 WHERE EXISTS (SELECT FROM {quote(table)})" for table in tables
                )
            )
            if cursor.fetchone() is not None:
                raise _NotEmptied
    except (_NotEmptied, DatabaseError):
        return False
    return True


_django_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self) -> None:
    """A transactional test's clean-up, as Django's (flush, then the post-migrate
    signal that puts content types and permissions back), with PostgreSQL's tables
    emptied by `_empty_by_delete`, and content types and permissions left as they are
    when the test did not change them (`REFERENCE_TABLES`)."""
    allow_flush(True)  # also for tests marked `django_db(transaction=True)`
    if self.available_apps is not None or self.serialized_rollback:
        _django_fixture_teardown(self)
        return
    for name in self._databases_names(include_mirrors=False):
        conn = connections[name]
        keep = REFERENCE_TABLES if _reference_rows(conn) == _REFERENCE.get(name) else ()
        if conn.vendor == "postgresql" and _empty_by_delete(conn, keep):
            if not keep:
                emit_post_migrate_signal(0, False, name)
        elif conn.vendor == "sqlite" and keep:
            tables = conn.introspection.django_table_names(only_existing=True, include_views=False)
            conn.ops.execute_sql_flush(
                conn.ops.sql_flush(
                    no_style(),
                    [table for table in tables if table not in keep],
                    allow_cascade=False,
                )
            )
        else:
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=name,
                reset_sequences=False,
                allow_cascade=False,
                inhibit_post_migrate=False,
            )


TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]


_found_static: dict = {}
_add_files_from_finders = WhiteNoiseMiddleware.add_files_from_finders


def _add_static_files_found_once(self: WhiteNoiseMiddleware) -> None:
    """WhiteNoise lists and stats every app's static file when its middleware is built,
    and the test client builds the middleware anew for each client, so for each test (a
    twentieth of the suite's time). The files do not change during a run: they are found
    by the first client of each process and the next ones take the same list."""
    if not _found_static:
        _add_files_from_finders(self)
        _found_static.update(self.files)
    else:
        self.files.update(_found_static)


WhiteNoiseMiddleware.add_files_from_finders = _add_static_files_found_once  # type: ignore[method-assign]


@pytest.fixture
def owner_cursor(django_db_blocker):
    """A cursor on a connection as the table owner (PostgreSQL), for tests that play an
    attacker with database access, e.g. editing the audit trail."""
    import psycopg

    db = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], host=db["HOST"] or "", port=db["PORT"] or "", user=_owner()
    )
    with psycopg.connect(conninfo, autocommit=True) as raw:
        yield raw.cursor()


def _owner() -> str:
    import os

    import dj_database_url

    return dj_database_url.parse(os.environ["DATABASE_URL"])["USER"]


@dataclass
class Tenant:
    """One client company with its people: a team lead and an agent granted to it
    (provider side), and a client admin and client user (client side)."""

    client: Client
    team_lead: User
    agent: User
    client_admin: User
    client_user: User


def _tenant(name: str, country: str, time_zone: str) -> Tenant:
    client = ClientFactory(legal_name=name, country=country, time_zone=time_zone)
    slug = name.split()[0].lower()
    team_lead = UserFactory(email=f"lead@{slug}.example", role=Role.TEAM_LEAD)
    agent = UserFactory(email=f"agent@{slug}.example", role=Role.AGENT)
    with all_clients_scope():
        for person in (team_lead, agent):
            Grant.objects.create(user=person, client=client, reason="fixture")
    return Tenant(
        client=client,
        team_lead=team_lead,
        agent=agent,
        client_admin=UserFactory(
            email=f"admin@{slug}-co.example", role=Role.CLIENT_ADMIN, client=client
        ),
        client_user=UserFactory(
            email=f"user@{slug}-co.example", role=Role.CLIENT_USER, client=client
        ),
    )


@pytest.fixture
def provider(db):
    return ProviderFactory()


TENANT_A = ("Acme Retail Inc", "US", "America/New_York")
TENANT_B = ("Bergmann Maschinenbau GmbH", "DE", "Europe/Berlin")


@pytest.fixture
def tenant_a(provider) -> Tenant:
    return _tenant(*TENANT_A)


@pytest.fixture
def tenant_b(provider) -> Tenant:
    return _tenant(*TENANT_B)


@pytest.fixture
def provider_admin(tenant_a, tenant_b) -> User:
    return _provider_admin(tenant_a, tenant_b)


def _provider_admin(*tenants: Tenant) -> User:
    admin = UserFactory(email="admin@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        for tenant in tenants:
            Grant.objects.create(user=admin, client=tenant.client, reason="fixture")
    return admin


# Data built once per module. Building the same clients, people and objects again for
# each of a hundred parametrised tests costs more than the requests the tests make.


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """A transaction held open while one module's tests run. Module-scoped fixtures build
    their data in it once (inside `with module_db.unblock():`); each test that asks for
    `in_module_db` runs in a savepoint of it, rolled back after the test as pytest-django
    rolls back any test, and the whole transaction is rolled back when the module ends.
    Those tests run after the module's other database tests, which never see the data."""
    with django_db_blocker.unblock():
        held = transaction.atomic()
        held._from_testcase = True  # as Django's TestCase marks its own: durable blocks nest
        held.__enter__()
    yield django_db_blocker
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        held.__exit__(None, None, None)


@pytest.fixture
def in_module_db(module_db, db):
    """The test runs in a savepoint of the module's transaction (see `module_db`).

    On PostgreSQL the backend remembers which clients it last told row-level security
    within the transaction; a savepoint rolled back between two tests can set the
    database's setting back under it. Each test therefore starts with no client set, in
    the database and in the backend's memory alike."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('tercero.clients', '', true)")
        connection.tercero_rls_value = ""


@pytest.fixture(scope="module")
def module_tenants(module_db) -> tuple[Tenant, Tenant, User]:
    """`tenant_a`, `tenant_b` and `provider_admin`, built once in the module's transaction
    for module-scoped fixtures."""
    with module_db.unblock():
        ProviderFactory()
        tenant_a = _tenant(*TENANT_A)
        tenant_b = _tenant(*TENANT_B)
        return tenant_a, tenant_b, _provider_admin(tenant_a, tenant_b)


def _module_db_tests_last(items: list) -> None:
    """Within each module's database tests, the tests in the module's transaction go last,
    so that it is opened after the others have run. pytest-django has already ordered the
    items (its hook runs first): database tests, then transactional ones, then the rest;
    a module's items stay together within each of those groups."""
    shared = {item.path for item in items if _uses(item, "in_module_db")}
    for item in items:
        if item.path in shared and _is_transactional(item):
            raise pytest.UsageError(f"{item.nodeid}: no transactional tests beside `module_db`")
    start = 0
    while start < len(items):
        end = start + 1
        while end < len(items) and items[end].path == items[start].path:
            end += 1
        items[start:end] = sorted(items[start:end], key=lambda item: _uses(item, "in_module_db"))
        start = end


def _database_tests_only(config, items: list) -> None:
    """`make test` runs every test on SQLite, then again on PostgreSQL every test that can
    reach the database (a test that cannot gives the same result on any engine), and
    tests marked `every_engine`, which start the engine in a process of their own.

    Pages driven in Chromium (tests/browser) are left to the SQLite run too, but for
    those marked `every_engine`, the end-to-end journeys: what a browser test adds to the
    views' own tests (clicks, scripts, accessibility, layout, words on the page) does not
    depend on the engine, and the views behind every page run on PostgreSQL through the
    test client (the isolation matrix, each page's own tests). They were a third of the
    PostgreSQL run's time."""
    kept, deselected, pages = [], [], 0
    for item in items:
        every_engine = item.get_closest_marker("every_engine") is not None
        reaches = (
            _uses(item, *DATABASE_FIXTURES)
            or item.get_closest_marker("django_db") is not None
            or every_engine
        )
        in_browser = BROWSER_TESTS in item.path.parents and not every_engine
        pages += reaches and in_browser
        (kept if reaches and not in_browser else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    config.stash[_SQLITE_ONLY] = (len(deselected) - pages, pages)
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker tells the main process
        config.workeroutput["sqlite_only"] = (len(deselected) - pages, pages)


BROWSER_TESTS = Path(__file__).resolve().parent / "tests" / "browser"
_SQLITE_ONLY = pytest.StashKey[tuple[int, int]]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """With workers (pytest-xdist), the main process learns the count from them."""
    counts = getattr(node, "workeroutput", {}).get("sqlite_only")
    if counts is not None:
        node.config.stash[_SQLITE_ONLY] = tuple(counts)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    database_free, pages = config.stash.get(_SQLITE_ONLY, (0, 0))
    if database_free or pages:
        terminalreporter.write_line(
            f"{database_free} tests that never reach the database and {pages} browser tests"
            " were left to the SQLite run (deselected here)"
        )


def pytest_runtest_logreport(report):
    """Each test's phases with their worker and times, one line each, to the file named
    by TERCERO_TEST_TIMELINE (tools/testrun.py: var/log/timeline-<engine>.tsv), to see
    which files hold a run up."""
    path = os.environ.get("TERCERO_TEST_TIMELINE")
    if not path or os.environ.get("PYTEST_XDIST_WORKER"):  # the main process writes
        return
    node = getattr(report, "node", None)
    worker = node.workerinput["workerid"] if node is not None else "main"
    with open(path, "a") as timeline:
        timeline.write(
            f"{worker}\t{report.nodeid}\t{report.when}\t{report.start:.3f}\t{report.stop:.3f}\n"
        )


def _uses(item, *fixtures: str) -> bool:
    return not set(fixtures).isdisjoint(getattr(item, "fixturenames", ()))


def _is_transactional(item) -> bool:
    """As pytest-django decides it: a `django_db` mark with `transaction` or
    `reset_sequences`, or a transactional fixture."""
    from pytest_django.plugin import validate_django_db

    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction_, reset_sequences, *_ = validate_django_db(marker)
        if transaction_ or reset_sequences:
            return True
    return _uses(item, "transactional_db", "live_server")
