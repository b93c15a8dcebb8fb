"""Platform's modules stand in one order (pyproject.toml's "Platform: ..." layers contract,
checked by lint-imports). The contract names modules, not whole apps, and import-linter
leaves a module no layer names unchecked: this test fails for such a module, so a new
one must be given its place."""

import ast
import tomllib
from pathlib import Path

import tercero.platform

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = Path(tercero.platform.__file__).parent
CONTAINER = "tercero.platform"


def platform_contract() -> dict:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in contracts["contracts"] if c.get("containers") == [CONTAINER]]
    return contract


def named_modules(contract: dict) -> set[str]:
    """Every module a layer names, in full ('(x)' marks an optional one)."""
    named = set()
    for layer in contract["layers"]:
        for tail in layer.replace(":", "|").split("|"):
            named.add(f"{CONTAINER}.{tail.strip().strip('()')}")
    return named


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((CONTAINER, *parts))


def holds_nothing(path: Path) -> bool:
    return path.name == "__init__.py" and not ast.parse(path.read_text()).body


def unplaced(root: Path, named: set[str]) -> list[str]:
    """Modules under `root` (tests aside) that no layer names, alone or in a package
    it names; an empty package `__init__.py` imports nothing and needs no place."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.relative_to(root).parts or holds_nothing(path):
            continue
        module = module_name(path, root)
        if not any(module == name or module.startswith(f"{name}.") for name in named):
            found.append(module)
    return found


def test_every_platform_module_has_a_layer():
    assert unplaced(PLATFORM, named_modules(platform_contract())) == []


def test_a_module_without_a_layer_is_found(tmp_path):
    (tmp_path / "tenancy" / "tests").mkdir(parents=True)
    (tmp_path / "tenancy" / "__init__.py").write_text("")
    (tmp_path / "tenancy" / "tests" / "test_onboarding.py").write_text("import os\n")
    (tmp_path / "tenancy" / "models.py").write_text("import os\n")
    (tmp_path / "tenancy" / "onboarding.py").write_text("import os\n")
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "__init__.py").write_text("from os import path\n")
    (tmp_path / "ops" / "migrations").mkdir()
    (tmp_path / "ops" / "migrations" / "0001_initial.py").write_text("import os\n")
    named = named_modules({"layers": ["ops.migrations", "tenancy.models | (tenancy.gone)"]})

    assert unplaced(tmp_path, named) == [
        f"{CONTAINER}.ops",
        f"{CONTAINER}.tenancy.onboarding",
    ]
