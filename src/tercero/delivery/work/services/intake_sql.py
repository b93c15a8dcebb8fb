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

When the batch sealed personal values, the statement also compares the keys it sealed
with (those this process held, unread) with the client's key rows as they stand in the
statement's own snapshot, and writes nothing when they differ (`KeysChanged`: the
caller seals again with keys read afresh). A rotation or shredding by any process so
takes effect at the next write, and the key rows cost no round trip of their own.

The statement's text depends only on the models, so each connection prepares it once.
"""

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any, NamedTuple

from django.db import connection, models

from tercero.delivery.work.models import SkillRequirement, WorkEvent, WorkItem
from tercero.platform.security import crypto


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
def statement(*, checks_keys: bool = False) -> str:
    """The one statement (its text is fixed for the process). `checks_keys`: it writes
    only when the client's key rows are still those the batch's keys were made from
    (two parameters after the items: their fingerprint and the client's id), else no row
    at all."""
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
        " FROM (SELECT i FROM src ORDER BY i) AS ordered"
        f"{f' WHERE %s = ({crypto.KEY_ROWS_FINGERPRINT_SQL})' if checks_keys else ''}),"
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


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a field's value becomes JSON that PostgreSQL casts back to the column's
    type (None: it is JSON already)."""
    if isinstance(field, models.DateField | models.TimeField):  # DateTimeField included
        return _iso
    if isinstance(field, models.DecimalField | models.UUIDField):
        return _text
    return None


def _iso(value: date | time | None) -> str | None:
    return None if value is None else value.isoformat()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@functools.cache
def _readers(model: type[models.Model]) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
    """(column, attribute, converter) of each column taken from the model's objects."""
    return tuple(
        (str(field.column), field.attname, _converter(field))
        for field in _columns(model)
        if field.name != "item"
    )


def _rows(objects: Sequence[models.Model], index: Sequence[int]) -> list[dict[str, Any]]:
    """Each object's columns (before any pre-save hook: intake sets every value itself),
    with the index of the item it belongs to."""
    if not objects:
        return []
    readers = _readers(type(objects[0]))
    done: dict[tuple[str, Any], Any] = {}  # a batch's moments repeat: each converted once
    rows = []
    for obj, at in zip(objects, index, strict=True):
        row: dict[str, Any] = {"i": at}
        state = obj.__dict__
        for column, attname, convert in readers:
            value = state[attname]
            if convert is None or value is None:
                row[column] = value
                continue
            try:
                row[column] = done[column, value]
            except KeyError:
                row[column] = done[column, value] = convert(value)
        rows.append(row)
    return rows


class KeysChanged(Exception):
    """The client's key rows changed since the batch's keys were taken (a rotation or a
    shredding, by any process): nothing was written; seal the batch again."""

    def __init__(self, client_id: int) -> None:
        super().__init__(f"The keys of client {client_id} changed.")
        self.client_id = client_id


class Event(NamedTuple):
    """An outbox event of the batch: the index of its item, its kind and its (checked)
    data."""

    at: int
    kind: str
    data: dict[str, Any]


def _event_rows(
    items: Sequence[WorkItem], events: Sequence[Event], *, actor_id: int | None, at: datetime
) -> list[dict[str, Any]]:
    if {column for column, _, _ in _readers(WorkEvent)} != EVENT_COLUMNS:
        raise RuntimeError("The outbox's columns changed: update the batch insert.")
    when = at.isoformat()
    return [
        {
            "i": event.at,
            "n": n,
            "client_id": items[event.at].client_id,
            "engagement_id": items[event.at].engagement_id,
            "kind": event.kind,
            "actor_id": actor_id,
            "data": event.data,
            "at": when,
        }
        for n, event in enumerate(events)
    ]


EVENT_COLUMNS = {"client_id", "engagement_id", "kind", "actor_id", "data", "at"}


def insert(
    items: Sequence[WorkItem],
    requirements: Sequence[tuple[int, SkillRequirement]],
    events: Sequence[Event],
    *,
    actor_id: int | None,
    at: datetime,
    keys: crypto.ClientKeys | None = None,
) -> None:
    """Write `items` and, by the index of their item in `items`, the requirements and
    the outbox events (by `actor_id`, at `at`); each item gets its id, as `bulk_create`
    would set it. With the `keys` the items were sealed with, the statement first
    compares them with the client's key rows and raises KeysChanged, having written
    nothing, when they differ."""
    item_rows = _rows(items, range(len(items)))
    requirement_rows = _rows([r for _, r in requirements], [i for i, _ in requirements])
    event_rows = _event_rows(items, events, actor_id=actor_id, at=at)
    params: list[Any] = [json.dumps(item_rows)]
    if keys is not None:
        params += [crypto.key_rows_fingerprint(keys), keys.client_id]
    params += [json.dumps(requirement_rows), json.dumps(event_rows)]
    with connection.cursor() as cursor:
        cursor.execute(statement(checks_keys=keys is not None), params)
        drawn = cursor.fetchall()
    if keys is not None and items and not drawn:
        raise KeysChanged(keys.client_id)
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
    for at_item, requirement in requirements:
        requirement.__dict__["item_id"] = items[at_item].pk  # its item stays cached
        requirement._state.adding = False
        requirement._state.db = connection.alias
