"""Migration operation that makes a table append-only in the database itself.

PostgreSQL: a row trigger refuses UPDATE and DELETE for everyone, owner included, and the
application role is granted only SELECT and INSERT (`tercero db grant`). SQLite: the
same two triggers in SQLite's dialect.
"""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState, StateApps

# Only the test suite turns this on, between tests, to empty tables (see conftest.py).
_flush_allowed = False


def flush_allowed() -> int:
    return int(_flush_allowed)


def allow_flush(allowed: bool) -> None:
    global _flush_allowed
    _flush_allowed = allowed


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tercero_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'table ' || TG_TABLE_NAME || ' is append-only',
    ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


class MakeAppendOnly(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        for statement in append_only_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        table = from_state.apps.get_model(app_label, self.model_name)._meta.db_table
        for statement in drop_append_only_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Make {self.model_name} append-only"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"model_name": self.model_name})


def append_only_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION tercero_refuse_change()",
        ]
    if vendor == "sqlite":
        return [
            f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{verb.lower()}" BEFORE {verb} ON "{table}" '
            f"WHEN tercero_flush_allowed() = 0 "
            f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return []


def drop_append_only_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"']
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{table}_no_{verb}"' for verb in ("update", "delete")]
    return []


def kept_append_only(
    table: str, operation: migrations.operations.base.Operation
) -> list[migrations.operations.base.Operation]:
    """`operation` on an append-only table, with the table's triggers put back after it:
    SQLite alters a column by rebuilding the table, which drops them (PostgreSQL keeps
    them). Works backwards too."""

    def restore(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in append_only_sql("sqlite", table):
                schema_editor.execute(statement)

    noop = migrations.RunPython.noop
    return [migrations.RunPython(noop, restore), operation, migrations.RunPython(restore, noop)]
