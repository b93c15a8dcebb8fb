"""The shape of the code, checked once for the whole tree: no module grows past 600 lines
(migrations aside), and no service line or governance module writes SQL against the
work engine's tables (they use the engine's services, selectors and locks)."""

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from django.apps import apps

import tercero

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(tercero.__file__).parent
CHECKED = ("src", "tests", "bench", "tools")
MAX_LINES = 600


def python_files(roots: Iterable[Path]) -> list[Path]:
    """Every .py file under `roots`, migrations left out."""
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


def too_long(paths: Iterable[Path], *, limit: int = MAX_LINES) -> list[str]:
    found = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(
                f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {lines}"
            )
    return found


def test_no_python_file_outside_migrations_is_over_600_lines():
    # protects: modules that hold half a dozen concerns (a 1,207-line engine service,
    # a 799-line pay run module) growing back
    files = python_files([ROOT / name for name in CHECKED]) + sorted(ROOT.glob("*.py"))
    assert ROOT / "src" / "tercero" / "services" / "payroll" / "runs.py" in files
    assert not any("migrations" in path.parts for path in files)
    assert too_long(files) == []


def test_the_size_check_counts_lines_and_leaves_migrations_out(tmp_path):
    # protects: the check above passing because it reads nothing or counts wrong
    # given
    (tmp_path / "app" / "migrations").mkdir(parents=True)
    (tmp_path / "app" / "long.py").write_text("x = 1\n" * 601)
    (tmp_path / "app" / "just_fits.py").write_text("x = 1\n" * 600)
    (tmp_path / "app" / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    # when
    found = too_long(python_files([tmp_path]))
    # then
    assert found == [f"{tmp_path / 'app' / 'long.py'}: 601"]


def engine_tables() -> frozenset[str]:
    """The work engine's tables, many-to-many tables included."""
    tables = set()
    for model in apps.get_app_config("work").get_models(include_auto_created=True):
        tables.add(model._meta.db_table)
    return frozenset(tables)


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string in the module (f-strings' literal parts included), with its line."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _engine_model_lookups(tree: ast.AST) -> list[int]:
    """Lines that fetch an engine model by name (apps.get_model("work", ...))."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "get_model"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).split(".")[0] == "work"
    ]


def sql_on_engine_tables(path: Path, *, tables: frozenset[str], root: Path) -> list[str]:
    """Where a module names an engine table in a string (raw SQL, extra(), RawSQL) or
    looks an engine model up by name to reach its manager without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tables))) + r")\b")
    found = [
        (line, f"names {match.group(1)}")
        for line, text in _texts(tree)
        for match in pattern.finditer(text)
    ]
    found += [(line, "looks up an engine model by name") for line in _engine_model_lookups(tree)]
    name = path.relative_to(root).as_posix()
    return [f"{name}:{line} {what}" for line, what in sorted(found)]


def outside_the_engine() -> list[Path]:
    """Service lines and governance, their tests left out."""
    return [
        path
        for folder in ("services", "governance")
        for path in python_files([SOURCE / folder])
        if "tests" not in path.relative_to(SOURCE).parts
    ]


def test_no_service_writes_sql_against_the_engines_tables():
    # protects: a service reaching round the engine's door through raw SQL (the import
    # contract and tests/test_structure_services.py see imports and managers, not SQL)
    tables = engine_tables()
    assert {"work_workitem", "work_workevent", "work_assignment"} <= tables
    modules = outside_the_engine()
    assert SOURCE / "services" / "payroll" / "calculation.py" in modules  # writes raw SQL
    assert SOURCE / "services" / "care" / "selectors.py" in modules  # reads raw SQL
    found = [
        line for path in modules for line in sql_on_engine_tables(path, tables=tables, root=SOURCE)
    ]
    assert found == []


def test_the_sql_check_finds_engine_tables_in_strings_and_lookups_by_name(tmp_path):
    # protects: the check above passing because it cannot see what it looks for
    # given
    module = tmp_path / "care" / "sneaky.py"
    module.parent.mkdir()
    module.write_text(
        "from django.apps import apps\n"
        "from django.db import connection\n"
        "ok = 'work_item_id'\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('UPDATE work_workitem SET payload = %s', ['{}'])\n"
        "    cursor.execute(f'DELETE FROM work_workevent WHERE id = {1}')\n"
        "Item = apps.get_model('work', 'WorkItem')\n"
        "Other = apps.get_model('work.Queue')\n"
    )
    # when
    found = sql_on_engine_tables(module, tables=engine_tables(), root=tmp_path)
    # then
    assert found == [
        "care/sneaky.py:5 names work_workitem",
        "care/sneaky.py:6 names work_workevent",
        "care/sneaky.py:7 looks up an engine model by name",
        "care/sneaky.py:8 looks up an engine model by name",
    ]
