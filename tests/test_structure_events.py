"""Every outbox event kind has one schema and a test that emits it: a structural rule
checked once for every kind the engine and the installed service lines register."""

import ast
from pathlib import Path

import pytest

import tercero
from tercero.delivery.work import event_types
from tercero.platform import catalogue

ROOTS = (Path(tercero.__file__).parent, Path(__file__).parent)
DEVELOPERS = Path(__file__).parents[1] / "docs" / "developers.md"


def _strings_in_tests() -> set[str]:
    """Every string literal in the test modules (this one aside)."""
    found: set[str] = set()
    for root in ROOTS:
        for path in sorted(root.rglob("test_*.py")):
            if path.resolve() == Path(__file__).resolve():
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
    return found


STRINGS = _strings_in_tests()


@pytest.mark.parametrize("kind", [event_type.kind for event_type in event_types.all_types()])
def test_every_event_kind_is_named_by_a_test_that_emits_it(kind):
    # given a registered kind
    # when the test modules are read
    # then one of them names it (the test that emits it and checks its data)
    assert kind in STRINGS, f"no test emits {kind!r}: add one that writes it and checks its data"


def test_every_service_lines_event_kinds_are_registered_as_its_manifest_says():
    # given the installed service lines
    # when their manifests' events are looked up
    declared = [event_type for line in catalogue.lines() for event_type in line.events]
    # then each is registered with the manifest's schema, under the line's key
    assert [event_types.find(event_type.kind) for event_type in declared] == declared
    assert {
        event_type.kind.split(".")[0] for line in catalogue.lines() for event_type in line.events
    } == {line.key for line in catalogue.lines() if line.events}
    assert {"care", "payroll", "capture"} <= {line.key for line in catalogue.lines() if line.events}


def test_the_developers_guide_lists_every_event_kind():
    # given the guide's section on outbox events
    section = DEVELOPERS.read_text().split("\n## Outbox events\n")[1].split("\n## ")[0]
    # when the kinds its table lists are read
    listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    # then they are exactly the registered kinds, each once
    assert sorted(listed) == [event_type.kind for event_type in event_types.all_types()]
