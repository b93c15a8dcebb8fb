"""`tercero planning staffing`: the staffing maths from the command line."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

TEXTBOOK = [
    "--calls", "100",
    "--interval-minutes", "30",
    "--aht-seconds", "180",
    "--target", "0.8",
    "--answer-seconds", "20",
]  # fmt: skip


def _run(*args: str) -> dict:
    out = StringIO()
    call_command("planning", "staffing", *args, stdout=out)
    return json.loads(out.getvalue())


def test_erlang_c_textbook_example_prints_fourteen_agents_as_json():
    answer = _run("--model", "erlang_c", *TEXTBOOK)
    assert answer["agents"] == 14
    assert answer["service_level"] == pytest.approx(0.88835, abs=1e-5)
    assert answer["asa_seconds"] == pytest.approx(7.836, abs=1e-3)
    assert answer["occupancy"] == pytest.approx(0.714286, abs=1e-6)
    assert 13 < answer["agents_raw"] <= 14
    assert "abandon_rate" not in answer


def test_shrinkage_and_occupancy_cap_are_applied():
    assert _run("--model", "erlang_c", *TEXTBOOK, "--shrinkage", "0.3")["agents"] == 20
    capped = _run("--model", "erlang_c", *TEXTBOOK, "--max-occupancy", "0.7")
    assert capped["agents"] == 15


def test_erlang_a_prints_the_abandon_rate():
    answer = _run("--model", "erlang_a", *TEXTBOOK, "--patience-seconds", "300")
    assert answer["agents"] == 13
    assert answer["abandon_rate"] == pytest.approx(0.024963, abs=1e-6)


def test_erlang_a_without_patience_is_refused():
    with pytest.raises(CommandError, match="patience"):
        _run("--model", "erlang_a", *TEXTBOOK)


def test_a_target_outside_zero_and_one_is_refused_in_plain_words():
    with pytest.raises(CommandError, match="share between 0 and 1"):
        _run("--model", "erlang_c", *TEXTBOOK[:-4], "--target", "80", "--answer-seconds", "20")


def test_unknown_model_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        _run("--model", "erlang_x", *TEXTBOOK)


def test_bad_flag_exits_non_zero_with_the_reason():
    # given the real command line, as someone checking the maths would run it
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tercero.config.cli",
            "planning",
            "staffing",
            "--model",
            "erlang_c",
            "--calls",
            "lots",
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
    )
    assert done.returncode != 0
    assert "invalid float value: 'lots'" in done.stderr
