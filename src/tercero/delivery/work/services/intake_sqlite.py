"""A batch's items, their skill requirements and their outbox events on SQLite: one
multi-row INSERT per table and as many rows as SQLite takes parameters, each value
turned into what the database stores as Django's `bulk_create` turns it, without its
compiler's work per field and row.

A value is prepared by its own field's `get_db_prep_save` once for each distinct value
in the batch where values repeat (the moments: a batch arrives at once), by
`json.dumps` for JSON columns (what Django's adapter does), and is passed as it is
where Django's preparation leaves a value of the right type unchanged (text, integers,
booleans, ids).
"""

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

from tercero.delivery.work.models import SkillRequirement, WorkEvent, WorkItem
from tercero.delivery.work.services import intake_sql

Converter = Callable[[Any], Any] | None
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _converter(field: models.Field[Any, Any]) -> Converter:
    """How the field's value becomes the parameter `bulk_create` would send (None: as
    it is)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        done: dict[int, tuple[Any, str]] = {}  # by the object: a batch shares its events' data

        def dumped(value: Any) -> Any:
            if value is None:
                return None
            found = done.get(id(value))
            if found is not None and found[0] is value:
                return found[1]
            text = json.dumps(value, cls=encoder)
            if isinstance(value, dict) and len(done) < 64:
                done[id(value)] = (value, text)
            return text

        return dumped
    if isinstance(field, _PLAIN):
        return None
    prepared: dict[Any, Any] = {}

    def by_field(value: Any) -> Any:
        try:
            return prepared[value]
        except KeyError:
            done = prepared[value] = field.get_db_prep_save(value, connection)
            return done
        except TypeError:  # not hashable
            return field.get_db_prep_save(value, connection)

    return by_field


def _insert(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning: bool
) -> list[int]:
    """Insert `rows` (values by attribute name) into the model's table; their ids in
    order when `returning`."""
    if not rows:
        return []
    fields = intake_sql._columns(model)
    names = [field.attname for field in fields]
    read = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    converted = [(at, convert) for at, field in enumerate(fields) if (convert := _converter(field))]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    head = f"INSERT INTO {table} ({columns}) VALUES "
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {table}.{quote(str(model._meta.pk.column))}" if returning else ""
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            params: list[Any] = []
            for row in part:
                values = list(read(row))
                for at, convert in converted:
                    values[at] = convert(values[at])
                params.extend(values)
            cursor.execute(head + ", ".join([one] * len(part)) + tail, params)
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    if returning and len(ids) != len(rows):
        raise RuntimeError("The batch insert wrote other rows than it was given.")
    return ids


def insert(
    items: Sequence[WorkItem],
    requirements: Sequence[tuple[int, SkillRequirement]],
    events: Sequence[intake_sql.Event],
    *,
    actor_id: int | None,
    at: datetime,
) -> None:
    """As `intake_sql.insert`, on SQLite: each item and requirement gets its id."""
    alias = connection.alias
    for item, pk in zip(
        items, _insert(WorkItem, [item.__dict__ for item in items], returning=True), strict=True
    ):
        item.pk = pk
        item._state.adding = False
        item._state.db = alias
    for at_item, requirement in requirements:
        requirement.__dict__["item_id"] = items[at_item].pk  # its item stays cached
    made = _insert(SkillRequirement, [r.__dict__ for _, r in requirements], returning=True)
    for (_, requirement), pk in zip(requirements, made, strict=True):
        requirement.pk = pk
        requirement._state.adding = False
        requirement._state.db = alias
    _insert(
        WorkEvent,
        [
            {
                "client_id": items[event.at].client_id,
                "item_id": items[event.at].pk,
                "engagement_id": items[event.at].engagement_id,
                "kind": event.kind,
                "actor_id": actor_id,
                "data": event.data,
                "at": at,
            }
            for event in events
        ],
        returning=False,
    )


def usable() -> bool:
    """Whether this SQLite returns the ids of a multi-row insert (3.35 on)."""
    return bool(connection.features.can_return_rows_from_bulk_insert)
