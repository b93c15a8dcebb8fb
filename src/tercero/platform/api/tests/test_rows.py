"""Rows from a hand-written SELECT are the instances the ORM would make: the same
values, saved and related the same way, whether built by filling the instance or, for a
model with a field that needs `Model.__init__` (a file), through `Model.from_db`."""

from django.db.models.fields.files import FieldFile

from tercero.delivery.work.models import Attachment
from tercero.platform.api import rows
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import all_clients_scope


def _fetched(model, pk):
    columns = rows.columns(model, "m")
    sql = f"SELECT {columns.sql} FROM {model._meta.db_table} m WHERE m.id = %s"
    row = rows.fetch_one(sql, [pk])
    assert row is not None
    return columns, columns.build(row)


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_a_row_is_built_as_the_orm_builds_it_and_saves_as_one(tenant_a):
    # protects: the API door's reads (the token's person is this instance)
    with all_clients_scope():
        # when
        columns, person = _fetched(User, tenant_a.client_user.pk)
        # then
        assert columns.plain
        expected = User.objects.get(pk=tenant_a.client_user.pk)
        assert _values(person) == _values(expected)
        assert (person._state.adding, person._state.db) == (False, "default")
        assert person.client == tenant_a.client
        person.full_name = "Renamed"
        person.save(update_fields=["full_name"])
        assert User.objects.get(pk=person.pk).full_name == "Renamed"


def test_a_model_with_a_file_is_built_through_the_orm(tenant_a):
    # protects: a field whose attribute is not plain (a file) still reads as a file
    columns = rows.columns(Attachment, "m")
    assert not columns.plain
    assert "file" in columns.names
    made = columns.build(
        [None if name != "file" else "attachments/a.pdf" for name in columns.names]
    )
    assert isinstance(made.file, FieldFile)
    assert made.file.name == "attachments/a.pdf"
    assert made._state.adding is False
