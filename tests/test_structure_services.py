"""Service lines reach the work engine through its public door (services, selectors,
locks), never its tables: a structural rule checked once for every service module."""

import ast
from pathlib import Path

from django.apps import apps

import tercero.services

SERVICES = Path(tercero.services.__file__).parent
ENGINE_MODELS = "tercero.delivery.work.models"
ENGINE_DEMO = "tercero.delivery.work.demo"


def service_modules() -> list[Path]:
    return [
        path
        for path in sorted(SERVICES.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(SERVICES).parts)
    ]


def _imported(node: ast.AST) -> set[str]:
    """The modules an import statement brings in (`from a import b` may bring a.b)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return set()


def _type_hints_only(tree: ast.AST) -> set[int]:
    return {
        id(node)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.If) and getattr(guard.test, "id", "") == "TYPE_CHECKING"
        for node in ast.walk(guard)
    }


def reaches_engine_tables(path: Path, *, root: Path = SERVICES) -> list[str]:
    """Where a module imports the engine's models other than for type hints, uses an
    engine model's manager, or sets an item's history without being a demo."""
    tree = ast.parse(path.read_text())
    hinted = _type_hints_only(tree)
    engine = {model.__name__ for model in apps.get_app_config("work").get_models()}
    found = []
    for node in ast.walk(tree):
        imported = _imported(node)
        if ENGINE_MODELS in imported and id(node) not in hinted:
            found.append((node.lineno, "imports the engine's models"))
        if ENGINE_DEMO in imported and path.name != "demo.py":
            found.append((node.lineno, "sets an item's history outside a demo"))
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and getattr(node.value, "id", "") in engine
        ):
            found.append((node.lineno, f"uses {node.value.id}.objects"))
    name = path.relative_to(root).as_posix()
    return [f"{name}:{line} {what}" for line, what in sorted(found)]


def test_services_reach_work_items_only_through_the_engines_public_door():
    # protects: a service writing or locking the engine's rows behind its back (no
    # event, no audit, no lookup keys), as the telephony webhook once did
    modules = service_modules()
    assert SERVICES / "care" / "cti.py" in modules
    assert SERVICES / "payroll" / "hr_events.py" in modules
    assert [line for path in modules for line in reaches_engine_tables(path)] == []


def test_the_structural_check_finds_each_way_round_the_door(tmp_path):
    # protects: the check above passing because it cannot see what it looks for
    # given
    module = tmp_path / "care" / "cti.py"
    module.parent.mkdir()
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from tercero.delivery.work import demo\n"
        "from tercero.delivery.work.models import WorkItem\n"
        "from tercero.delivery.work import models\n"
        "if TYPE_CHECKING:\n"
        "    from tercero.delivery.work.models import Queue\n"
        "WorkItem.objects.filter(pk=1).update(payload={})\n"
        "Queue.objects.none()\n"
    )
    # when
    found = reaches_engine_tables(module, root=tmp_path)
    # then
    assert found == [
        "care/cti.py:2 sets an item's history outside a demo",
        "care/cti.py:3 imports the engine's models",
        "care/cti.py:4 imports the engine's models",
        "care/cti.py:7 uses WorkItem.objects",
        "care/cti.py:8 uses Queue.objects",
    ]


def test_a_demo_may_set_an_items_history(tmp_path):
    # protects: the demos' back-dating refused along with everything else
    # given
    module = tmp_path / "care" / "demo.py"
    module.parent.mkdir()
    module.write_text("from tercero.delivery.work import demo as work_demo\n")
    # when
    found = reaches_engine_tables(module, root=tmp_path)
    # then
    assert found == []
