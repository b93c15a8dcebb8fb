"""Stored figures are rounded: no float reaches the database with the 16- or 17-digit runs
that a dump scan cannot tell from a card number."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from tercero.platform.figures import FigureField, FiguresField, rounded

figures = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
LONG_RUN = re.compile(r"\d{13,}")


@given(figures)
def test_a_stored_figure_has_no_long_run_of_digits(value):
    stored = FigureField().get_prep_value(value)
    assert not LONG_RUN.search(repr(stored))
    assert abs(stored - value) <= 5e-7


@given(st.dictionaries(st.text(max_size=5), st.lists(figures, max_size=5), max_size=5))
def test_floats_inside_a_stored_json_value_are_rounded_too(value):
    stored = FiguresField().get_prep_value(value)
    assert not LONG_RUN.search(json.dumps(stored))


def test_the_figures_a_planner_reads_keep_their_meaning():
    assert FigureField().get_prep_value(4 / 9) == 0.444444
    assert FigureField().get_prep_value(None) is None
    assert rounded({"wape": 0.08891234567891234, "model": "ets", "n": 3}) == {
        "wape": 0.088912,
        "model": "ets",
        "n": 3,
    }
    assert rounded((1 / 3, [2 / 3])) == [0.333333, [0.666667]]
