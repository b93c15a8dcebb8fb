"""Computed figures (forecasts, staffing, coverage) as they are stored: rounded to a fixed
number of decimal places. Full double precision means nothing to a planner, and its 16- and
17-digit runs (0.4444444444444444) look like card numbers to the scan that proves a
database dump holds no personal data in clear (tools/plaintext_scan.py)."""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models

PLACES = 6

# the stored and read types, set per column (nullable or not) as for any model field
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)


def rounded(value: Any, places: int = PLACES) -> Any:
    """`value` with every float in it rounded (in lists, tuples and mappings too), for a
    JSON column; other values as they are."""
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, Mapping):
        return {key: rounded(item, places) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, places) for item in value]
    return value


class FigureField(models.FloatField[_ST, _GT]):
    """A float column whose values are rounded to `PLACES` decimal places when saved."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else round(value, PLACES)


class FiguresField(models.JSONField[_ST, _GT]):
    """A JSON column whose floats are rounded to `PLACES` decimal places when saved."""

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(rounded(value))
