"""A batch's items, their skill requirements and their outbox events as one PostgreSQL
statement.

Django's `bulk_create` prepares every field of every row in Python and sends one
placeholder per value: for the 43 columns of a work item that is most of a batch's time.
Here each table's rows go as one `jsonb` parameter, serialised once by `json.dumps`, and
PostgreSQL unpacks them with `jsonb_to_recordset`. The items' ids are drawn from their
sequence in the statement itself (one `nextval` per row, in row order), so the
requirements and events can point at them without a read-back, and the statement
returns them to the caller. Events take their ids in the order they are given (the
outbox is read in id order). COPY is not used: it is not open to the application's role
while row-level security is on.

The statement's text depends only on the models, so each connection prepares it once.
"""

import functools
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models

from tercero.delivery.work.models import SkillRequirement, WorkEvent, WorkItem


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns written on insert: every concrete field but the generated id."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.generated is False
    ]


def _record_type(fields: Sequence[models.Field[Any, Any]]) -> str:
    """The column list of `jsonb_to_recordset(...) AS r(...)`, after the row index."""
    return ", ".join(
        ["i integer"] + [f'"{field.column}" {field.db_type(connection)}' for field in fields]
    )


@functools.cache
def statement() -> str:
    """The one statement (its text is fixed for the process)."""
    items, requirements, events = (
        _columns(WorkItem),
        _columns(SkillRequirement),
        _columns(WorkEvent),
    )

    def names(fields: Sequence[models.Field[Any, Any]], prefix: str = "") -> str:
        return ", ".join(f'{prefix}"{field.column}"' for field in fields)

    def picked(fields: Sequence[models.Field[Any, Any]], table: str) -> str:
        # a column pointing at the item takes the id drawn for its row
        return ", ".join(
            f'ids.id AS "{field.column}"' if field.name == "item" else f'{table}."{field.column}"'
            for field in fields
        )

    item_table = WorkItem._meta.db_table
    return (
        f"WITH src AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({_record_type(items)})),"
        " ids AS MATERIALIZED ("
        f"SELECT ordered.i, nextval(pg_get_serial_sequence('{item_table}', 'id')) AS id"
        " FROM (SELECT i FROM src ORDER BY i) AS ordered),"
        f" new_items AS (INSERT INTO {item_table} (id, {names(items)})"
        f" SELECT ids.id, {names(items, 'src.')} FROM src JOIN ids USING (i) ORDER BY i"
        " RETURNING 1),"
        f" new_requirements AS (INSERT INTO {SkillRequirement._meta.db_table}"
        f" ({names(requirements)}) SELECT {picked(requirements, 'q')}"
        f" FROM jsonb_to_recordset(%s::jsonb) AS q({_record_type(requirements)})"
        " JOIN ids USING (i) RETURNING 1),"
        f" new_events AS (INSERT INTO {WorkEvent._meta.db_table} ({names(events)})"
        f" SELECT {names(events, 'e.')} FROM ("
        f"SELECT {picked(events, 'ev')}, ev.n"
        f" FROM jsonb_to_recordset(%s::jsonb) AS ev(n integer, {_record_type(events)})"
        " JOIN ids USING (i) ORDER BY ev.n) AS e ORDER BY e.n RETURNING 1)"
        " SELECT ids.i, ids.id,"
        " (SELECT count(*) FROM new_items), (SELECT count(*) FROM new_requirements),"
        " (SELECT count(*) FROM new_events)"
        " FROM ids ORDER BY ids.i"
    )


def _plain(value: Any) -> Any:
    """A field's value as JSON that PostgreSQL casts back to the column's type."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _rows(
    objects: Sequence[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    index: Sequence[int],
) -> list[dict[str, Any]]:
    """Each object's columns (before any pre-save hook: intake sets every value itself),
    with the index of the item it belongs to."""
    attnames = [(str(field.column), field.attname) for field in fields if field.name != "item"]
    return [
        {"i": at, **{column: _plain(getattr(obj, attname)) for column, attname in attnames}}
        for obj, at in zip(objects, index, strict=True)
    ]


def insert(
    items: Sequence[WorkItem],
    requirements: Sequence[tuple[int, SkillRequirement]],
    events: Sequence[tuple[int, WorkEvent]],
) -> None:
    """Write `items` and, by the index of their item in `items`, the requirements and
    events; each item gets its id, as `bulk_create` would set it."""
    item_rows = _rows(items, _columns(WorkItem), range(len(items)))
    requirement_rows = _rows(
        [r for _, r in requirements], _columns(SkillRequirement), [i for i, _ in requirements]
    )
    event_rows = _rows([e for _, e in events], _columns(WorkEvent), [i for i, _ in events])
    for n, row in enumerate(event_rows):
        row["n"] = n
    with connection.cursor() as cursor:
        cursor.execute(
            statement(),
            [json.dumps(item_rows), json.dumps(requirement_rows), json.dumps(event_rows)],
        )
        drawn = cursor.fetchall()
    if len(drawn) != len(items) or drawn[0][2:] != (
        len(items),
        len(requirements),
        len(events),
    ):
        raise RuntimeError("The batch insert wrote other rows than it was given.")
    for item, (_, pk, *_counts) in zip(items, drawn, strict=True):
        item.pk = pk
        item._state.adding = False
        item._state.db = connection.alias
    for at, requirement in requirements:
        requirement.item_id = items[at].pk
        requirement._state.adding = False
        requirement._state.db = connection.alias
