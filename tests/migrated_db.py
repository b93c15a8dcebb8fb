"""A migrated copy of the test database, kept between test runs (conftest.py).

Migrating an empty database is the slowest step of starting the suite. After a run that
migrated from scratch, the fresh database is copied aside (SQLite: a file beside the test
database; PostgreSQL: a template database), labelled with a digest of everything that
can change what the migrations build: the database engine, the Django and Python
versions, every setting, the keys, the lock files and every file of the source tree
outside the tests (with the root conftest.py and this module, which decide what is
built and kept). The next run starts from that copy when the digest still matches, and
migrates from scratch when anything changed (or with pytest's --create-db). The digest
is taken before the migrations run, so a file edited while they run makes the next run
migrate again rather than trust a copy built from the older file.
"""

import fcntl
import functools
import hashlib
import os
import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import django
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("_KEY", "_KEYS")
# Compiled files and build metadata, which follow from the sources.
NOT_SOURCES = ("__pycache__", ".egg-info")


@functools.cache
def digest(vendor: str) -> str:
    """A digest of what the migrations build from (module docstring), per engine."""
    found = hashlib.sha256(f"{vendor} {django.get_version()} {sys.version}".encode())
    found.update(_settings().encode())
    # keys a migration may store or write with (the scope key, the audit chain's keys)
    found.update(repr(sorted(v for k, v in os.environ.items() if k.endswith(KEYS))).encode())
    for path in _inputs():
        found.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return found.hexdigest()[:16]


def _settings() -> str:
    """Every setting as it stands, with the embedded keys kept in VAR_DIR; the databases
    only by engine, as their names and roles change while the test database is set up."""
    from django.conf import settings

    values = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    values["DATABASES"] = sorted(
        (alias, database["ENGINE"]) for alias, database in settings.DATABASES.items()
    )
    keys = sorted(Path(settings.VAR_DIR).glob("*_key*"))
    values["KEY FILES"] = [(path.name, path.read_bytes()) for path in keys]
    text = repr(sorted((name, repr(value)) for name, value in values.items()))
    # the workers of one run differ only by their own var directories
    return text.replace(str(settings.VAR_DIR), str(_shared_dir())) if _worker() else text


def _worker() -> str | None:
    """The pytest-xdist worker whose var directory this is (tests/workers.py), if any."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return worker if worker and Path(settings.VAR_DIR).name == worker else None


def settings_var_dir() -> str:
    from django.conf import settings

    return str(settings.VAR_DIR)


def _shared_dir() -> Path:
    """Where the run's workers keep what they share: the run's var directory."""
    from django.conf import settings

    var = Path(settings.VAR_DIR)
    return var.parent if _worker() else var


_held: list[int] = []


def take_turn(vendor: str) -> None:
    """Wait until no other worker of this run is setting up its database: the first
    migrates and keeps a copy, the next ones start from it (`done` ends the turn)."""
    path = _shared_dir() / f"setting-up-{vendor}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    _held.append(descriptor)


def done() -> None:
    while _held:
        descriptor = _held.pop()
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _inputs() -> list[Path]:
    """Every file of the source tree outside the tests, the lock files, the project file,
    and the test set-up that builds and keeps the database."""
    sources = [
        path
        for path in (ROOT / "src").rglob("*")
        if path.is_file()
        and "tests" not in path.relative_to(ROOT).parts
        and not any(part.endswith(NOT_SOURCES) for part in path.relative_to(ROOT).parts)
    ]
    locks = (ROOT / "requirements").glob("*.lock")
    setup = [ROOT / "pyproject.toml", ROOT / "conftest.py", ROOT / "tests" / "migrated_db.py"]
    return sorted({*sources, *locks, *(path for path in setup if path.exists())})


def restore(connection) -> bool:
    """Put the kept copy in place of the test database; False when there is none for
    this source tree (the run migrates from scratch)."""
    if connection.vendor == "sqlite":
        return _restore_sqlite(connection)
    return _restore_postgresql(connection)


def kept(connection) -> str:
    """Where this run's kept copy is: a file (SQLite) or a template database's name."""
    if connection.vendor == "sqlite":
        return str(_sqlite_paths(connection)[1])
    return _postgresql_names(connection)[1]


def restore_from(connection, base: str) -> bool:
    """Put another run's kept copy (`kept`) in place of the test database, whatever its
    digest: a run of a tree that adds to this one (the toy service line) starts from it,
    and its migrate step applies only what it adds. False when there is no such copy."""
    if connection.vendor == "sqlite":
        if not Path(base).exists():
            return False
        test = Path(connection.settings_dict["TEST"]["NAME"])
        for stale in (test, Path(f"{test}-wal"), Path(f"{test}-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(base, test)
        return True
    test, _ = _postgresql_names(connection)
    with _maintenance(connection) as server:
        if (
            server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [base]).fetchone()
            is None
        ):
            return False
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(test)))
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(test), sql.Identifier(base)
            )
        )
    return True


def save(connection) -> None:
    """Keep a copy of the freshly migrated test database (no connection may be open on
    it on PostgreSQL), replacing any older one."""
    if connection.vendor == "sqlite":
        _save_sqlite(connection)
    else:
        _save_postgresql(connection)


def _sqlite_paths(connection) -> tuple[Path, Path]:
    test = Path(connection.settings_dict["TEST"]["NAME"])
    worker = _worker()
    if worker is None or test.parent != Path(settings_var_dir()):
        return test, test.with_name(f"{test.stem}.migrated-{digest('sqlite')}{test.suffix}")
    # one copy for the run's workers, named without the worker's suffix
    shared = _shared_dir() / test.name.removesuffix(f"_{worker}")
    return test, shared.with_name(f"{shared.stem}.migrated-{digest('sqlite')}{shared.suffix}")


def _restore_sqlite(connection) -> bool:
    test, kept = _sqlite_paths(connection)
    if not kept.exists():
        return False
    for stale in (test, Path(f"{test}-wal"), Path(f"{test}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(kept, test)
    return True


def _save_sqlite(connection) -> None:
    test, kept = _sqlite_paths(connection)
    for older in test.parent.glob(f"{test.stem}.migrated-*{test.suffix}"):
        older.unlink()
    partial = kept.with_suffix(".partial")
    with closing(sqlite3.connect(test)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)
    partial.replace(kept)


def _postgresql_names(connection) -> tuple[str, str]:
    test = connection.settings_dict["TEST"]["NAME"] or f"test_{connection.settings_dict['NAME']}"
    worker = _worker()
    # one copy for the run's workers, named without the worker's suffix
    return test, f"{test.removesuffix(f'_{worker}') if worker else test}_migrated"


def _maintenance(connection) -> psycopg.Connection:
    """A connection as the owner to the server's own database, outside any test database."""
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        host=db["HOST"] or "",
        port=db["PORT"] or "",
        user=db["USER"],
        password=db["PASSWORD"] or "",
        autocommit=True,
    )


def _restore_postgresql(connection) -> bool:
    test, kept = _postgresql_names(connection)
    with _maintenance(connection) as server:
        label = server.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [kept],
        ).fetchone()
        if label is None or label[0] != digest("postgresql"):
            return False
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(test)))
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(test), sql.Identifier(kept)
            )
        )
    return True


def _save_postgresql(connection) -> None:
    test, kept = _postgresql_names(connection)
    with _maintenance(connection) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(kept)))
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(kept), sql.Identifier(test)
            )
        )
        server.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(kept), sql.Literal(digest("postgresql"))
            )
        )
