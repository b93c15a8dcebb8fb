"""`tercero quality sample` and `tercero quality size`: the sampling maths anyone can check."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("quality", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sample_prints_the_iso_2859_plan_as_one_line_of_json():
    out, _ = _run("sample", "--lot", "2000", "--aql", "1.0")
    assert out == '{"code": "K", "n": 125, "accept": 3, "reject": 4}\n'


def test_sample_follows_the_level_and_the_tables_arrows():
    # a lot of 2,000 at level I is H (n = 50); AQL 0.65 there is an arrow down to J's 1/2
    out, _ = _run("sample", "--lot", "2000", "--aql", "0.65", "--level", "I")
    assert out == '{"code": "J", "n": 80, "accept": 1, "reject": 2}\n'


def test_sample_of_a_small_lot_inspects_all_of_it():
    out, _ = _run("sample", "--lot", "10", "--aql", "1")
    assert out == '{"code": "E", "n": 10, "accept": 0, "reject": 1}\n'


def test_size_prints_the_bare_number_and_explains_it_on_stderr():
    out, err = _run("size", "--confidence", "0.95", "--margin", "0.05", "--expected", "0.9")
    assert out == "141\n"
    assert err == (
        "Evaluate 141 items to know a share near 90 % within +/-5 % at 95 % confidence "
        "(Wilson score interval).\n"
    )


def test_size_with_a_population_applies_the_finite_population_correction():
    out, err = _run(
        "size", "--confidence", "0.95", "--margin", "0.05", "--expected", "0.5",
        "--population", "1000",
    )  # fmt: skip
    assert out == "277\n"
    assert "out of 1,000" in err
    assert "finite-population correction" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sample", "--lot", "1", "--aql", "1.0"), "2 items or more"),
        (("sample", "--lot", "500", "--aql", "2"), "must be one of 0.010"),
        (("sample", "--lot", "500", "--aql", "1.0", "--level", "IV"), "invalid choice"),
        (("size", "--confidence", "95", "--margin", "0.05", "--expected", "0.9"), "confidence"),
        (("size", "--confidence", "0.95", "--margin", "0", "--expected", "0.9"), "margin"),
        (("size", "--confidence", "0.95", "--margin", "0.05", "--expected", "1.5"), "expected"),
        (
            ("size", "--confidence", "0.95", "--margin", "0.05", "--expected", "0.9",
             "--population", "0"),
            "population",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_a_command_error_naming_the_problem(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def _tercero(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `tercero` script, as someone checking the maths would run it."""
    script = Path(sys.executable).with_name("tercero")
    return subprocess.run(
        [str(script), "quality", *args],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=False,
    )


def test_the_installed_command_prints_the_plan():
    done = _tercero("sample", "--lot", "2000", "--aql", "1.0")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"code": "K", "n": 125, "accept": 3, "reject": 4}\n'


def test_the_installed_command_exits_non_zero_with_the_reason():
    done = _tercero("sample", "--lot", "2000", "--aql", "3")
    assert done.returncode != 0
    assert "The AQL must be one of 0.010" in done.stderr
    assert done.stdout == ""
