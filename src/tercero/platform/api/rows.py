"""Model rows from one hand-written SELECT, for the reads every API call makes (the
caller's token, the object it writes into).

Building a query through the ORM costs more CPU than a small request's whole insert
(about a millisecond and a half for a filtered `select_related(...).first()`); these
reads are the same few statements on every call, so their text is written once and the
instances are built the way the ORM builds them: the model's own column list, each
value through the converters the ORM would apply (the backend's and the field's, e.g.
JSON text on PostgreSQL, dates and booleans on SQLite), then `Model.from_db`. Row-level
security and the client scope apply exactly as to any other statement.
"""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

type Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Columns[M: Model]:
    """The concrete columns of `model` under the table alias `alias`."""

    model: type[M]
    alias: str
    sql: str  # `alias."column", ...` in the model's field order
    names: tuple[str, ...]  # the fields' attribute names, same order
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]  # (index, converters, column)
    plain: bool  # made without `Model.__init__` (see `_is_plain`)

    def build(self, row: Sequence[Any], start: int = 0) -> M:
        """The instance held in `row[start : start + len(self.names)]`, as the ORM makes it."""
        values = list(row[start : start + len(self.names)])
        for index, functions, column in self.converters:
            value = values[index]
            for function in functions:
                value = function(value, column, connection)
            values[index] = value
        if not self.plain:
            return self.model.from_db(connection.alias, self.names, values)
        found = self.model.__new__(self.model)
        state = ModelState()
        state.adding = False
        state.db = connection.alias
        found.__dict__["_state"] = state
        found.__dict__.update(zip(self.names, values, strict=True))
        return found


# What `Model.__init__` does for a field attribute of these kinds is to put the value in
# the instance's `__dict__` (a foreign key's first drops a cached related row, which a
# new instance has none of).
_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _is_plain(model: type[Model]) -> bool:
    """Whether an instance of `model` built by filling its `__dict__` is the one
    `Model.from_db` makes: every field a plain attribute (no image field, whose
    dimensions an init signal fills; the project itself listens to no signal, a lint
    rule keeps it so). `Model.__init__` field by field cost more than the read's SQL."""
    return all(
        type(inspect.getattr_static(model, field.attname, None)) in _PLAIN_ATTRIBUTES
        for field in model._meta.concrete_fields
    )


@cache
def _columns(model: type[Model], alias: str, vendor: str) -> Columns[Model]:
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(alias)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, tuple(found), column))
    return Columns(
        model=model,
        alias=alias,
        sql=", ".join(f'{alias}."{field.column}"' for field in fields),
        names=tuple(field.attname for field in fields),
        converters=tuple(converters),
        plain=_is_plain(model),
    )


def columns[M: Model](model: type[M], alias: str) -> Columns[M]:
    """The columns of `model` in a SELECT that names its table `alias`."""
    return cast(Columns[M], _columns(model, alias, connection.vendor))


def placeholders(count: int) -> str:
    """`%s, %s, ...`: the parameters of an IN list (the same on every engine)."""
    return ", ".join(["%s"] * count)


# The range of the id columns (64-bit integers): PostgreSQL refuses to compare a wider
# number with one (an error, not "no row"); Django's own lookups answer "no row" instead.
_ID_RANGE = range(-(2**63), 2**63)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row `sql` answers, or None. A whole-number parameter outside the 64-bit
    range (an id typed by hand: /queues/99999999999999999999) matches no row, as in
    Django's lookups."""
    if any(type(p) is int and p not in _ID_RANGE for p in params):
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found: tuple[Any, ...] | None = cursor.fetchone()
        return found
