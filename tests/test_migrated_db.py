"""The migrated copy of the test database a run keeps (tests/migrated_db.py) serves only
a later run of the same source tree: a change to anything outside the tests makes the
next run migrate from scratch."""

import sqlite3
from contextlib import closing
from types import SimpleNamespace

import pytest

from tests import migrated_db


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small source tree in place of the project's."""
    files = {
        "src/tercero/shop/migrations/0001_initial.py": "operations = []\n",
        "src/tercero/shop/rls.sql": "CREATE POLICY shop ON shop USING (true);\n",
        "src/tercero/shop/templates/shop/page.html": "<h1>Shop</h1>\n",
        "src/tercero/shop/tests/test_shop.py": "def test_shop(): pass\n",
        "src/tercero/shop/__pycache__/rls.cpython-312.pyc": "compiled\n",
        "conftest.py": "import pytest\n",
        "pyproject.toml": "[project]\n",
        "requirements/dev.lock": "django==6.1\n",
        "requirements/main.lock": "django==6.1\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(migrated_db, "ROOT", tmp_path)
    migrated_db.digest.cache_clear()
    yield tmp_path
    migrated_db.digest.cache_clear()


@pytest.mark.parametrize(
    "changed",
    [
        "src/tercero/shop/migrations/0001_initial.py",
        "src/tercero/shop/rls.sql",
        "src/tercero/shop/templates/shop/page.html",
        "conftest.py",
        "requirements/dev.lock",
        "requirements/main.lock",
    ],
)
def test_a_change_outside_the_tests_makes_a_new_digest(tree, changed):
    # given the digest of the tree
    before = migrated_db.digest("sqlite")
    # when a source file, the SQL a migration runs or a locked version changes
    with (tree / changed).open("a") as file:
        file.write("# changed\n")
    migrated_db.digest.cache_clear()
    # then the digest is another
    assert migrated_db.digest("sqlite") != before


@pytest.mark.parametrize(
    "changed",
    ["src/tercero/shop/tests/test_shop.py", "src/tercero/shop/__pycache__/rls.cpython-312.pyc"],
)
def test_a_change_to_a_test_or_compiled_file_keeps_the_digest(tree, changed):
    before = migrated_db.digest("sqlite")
    (tree / changed).write_text("changed\n")
    migrated_db.digest.cache_clear()
    assert migrated_db.digest("sqlite") == before


def test_another_setting_makes_a_new_digest(tree, settings):
    # e.g. an app added for the tests, or another user model
    before = migrated_db.digest("sqlite")
    settings.AUTH_USER_MODEL = "shop.Customer"
    migrated_db.digest.cache_clear()
    assert migrated_db.digest("sqlite") != before


def test_the_test_databases_name_and_role_keep_the_digest(tree, monkeypatch):
    from django.conf import settings

    # pytest-django names the test database while it sets it up, and on PostgreSQL the
    # tests then connect as the application's role
    before = migrated_db.digest("sqlite")
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "test_elsewhere")
    monkeypatch.setitem(settings.DATABASES["default"], "USER", "tercero_app")
    migrated_db.digest.cache_clear()
    assert migrated_db.digest("sqlite") == before


def test_another_scope_key_makes_a_new_digest(tree, monkeypatch):
    # the migrations store the key row-level security checks proofs with
    monkeypatch.setenv("SCOPE_KEY", "a" * 43)
    before = migrated_db.digest("postgresql")
    monkeypatch.setenv("SCOPE_KEY", "b" * 43)
    migrated_db.digest.cache_clear()
    assert migrated_db.digest("postgresql") != before


def test_each_engine_has_its_own_digest(tree):
    assert migrated_db.digest("sqlite") != migrated_db.digest("postgresql")


def test_a_kept_sqlite_database_comes_back_whole_and_only_for_its_tree(tree, tmp_path):
    # given a freshly migrated test database, kept
    test = tmp_path / "test.sqlite3"
    with closing(sqlite3.connect(test)) as database, database:
        database.execute("CREATE TABLE shop (id INTEGER PRIMARY KEY, name TEXT)")
        database.execute("INSERT INTO shop (name) VALUES ('content type')")
    connection = SimpleNamespace(vendor="sqlite", settings_dict={"TEST": {"NAME": str(test)}})
    migrated_db.save(connection)
    # when a later run of the same tree finds a used test database
    with closing(sqlite3.connect(test)) as database, database:
        database.execute("DELETE FROM shop")
    restored = migrated_db.restore(connection)
    # then it starts from the kept copy
    assert restored is True
    with closing(sqlite3.connect(test)) as database:
        assert database.execute("SELECT name FROM shop").fetchall() == [("content type",)]
    # and a run of a changed tree migrates from scratch
    (tree / "src/tercero/shop/migrations/0002_more.py").write_text("operations = []\n")
    migrated_db.digest.cache_clear()
    assert migrated_db.restore(connection) is False


def test_a_run_that_adds_to_a_tree_starts_from_that_trees_kept_copy(tree, tmp_path):
    # given this tree's kept copy (the toy service line's run is started by this run)
    base_test = tmp_path / "base" / "test.sqlite3"
    base_test.parent.mkdir()
    with closing(sqlite3.connect(base_test)) as database, database:
        database.execute("CREATE TABLE shop (id INTEGER PRIMARY KEY, name TEXT)")
    base = SimpleNamespace(vendor="sqlite", settings_dict={"TEST": {"NAME": str(base_test)}})
    migrated_db.save(base)
    # when the other run, with a test database of its own, has no copy of its own
    toy_test = tmp_path / "toy" / "test.sqlite3"
    toy_test.parent.mkdir()
    toy = SimpleNamespace(vendor="sqlite", settings_dict={"TEST": {"NAME": str(toy_test)}})
    started = migrated_db.restore_from(toy, migrated_db.kept(base))
    # then it starts from this tree's tables, and migrates only what it adds
    assert started is True
    with closing(sqlite3.connect(toy_test)) as database:
        assert database.execute("SELECT count(*) FROM shop").fetchone() == (0,)
    # and with no such copy it migrates from scratch
    assert migrated_db.restore_from(toy, str(tmp_path / "nowhere.sqlite3")) is False


def test_a_runs_workers_share_their_keys_so_they_build_the_same_database(tmp_path):
    from tests.workers import EMBEDDED_KEYS, share_keys

    # given a run's var directory and its two workers' directories
    share_keys(tmp_path, tmp_path / "gw0")
    share_keys(tmp_path, tmp_path / "gw1")
    # then both hold the same embedded keys, readable by their owner only
    for name in EMBEDDED_KEYS:
        assert (tmp_path / "gw0" / name).read_bytes() == (tmp_path / "gw1" / name).read_bytes()
        assert (tmp_path / "gw0" / name).stat().st_mode & 0o077 == 0


def test_a_workers_kept_copy_is_the_runs_so_the_next_worker_starts_from_it(
    tree, tmp_path, monkeypatch, settings
):
    # given two workers of one run, each in its own var directory under the run's
    digests, kept = [], []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        settings.VAR_DIR = tmp_path / worker
        migrated_db.digest.cache_clear()
        test = tmp_path / worker / f"test.sqlite3_{worker}"
        connection = SimpleNamespace(vendor="sqlite", settings_dict={"TEST": {"NAME": str(test)}})
        digests.append(migrated_db.digest("sqlite"))
        kept.append(migrated_db.kept(connection))
    # then they compute one digest and keep one copy, in the run's directory
    assert digests[0] == digests[1]
    assert kept[0] == kept[1] == str(tmp_path / f"test.migrated-{digests[0]}.sqlite3")
