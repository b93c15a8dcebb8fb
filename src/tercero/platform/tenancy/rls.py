"""Row-level security for client tables on PostgreSQL (a no-op on SQLite).

Each client table gets FORCE ROW LEVEL SECURITY and one policy: a row is visible and
writable only when its `client_id` is in the transaction's `tercero.clients` setting
(or that setting is `*`, for system work). The setting is written per transaction by
our database backend. An unset or empty setting shows nothing: it fails closed.
"""

from django.db import migrations

POLICY_NAME = "tercero_client_isolation"
# CASE, not OR: PostgreSQL may evaluate OR's operands in any order, and '*' is no bigint.
# Each setting read sits in a scalar subquery, which PostgreSQL evaluates once per
# statement (an InitPlan) instead of once per row: a claim that walks a queue skips
# many rows, and each would otherwise parse the client list again.
POLICY_EXPRESSION = (
    "CASE WHEN (SELECT current_setting('tercero.clients', true) = '*') THEN true "
    "ELSE client_id = ANY ((SELECT string_to_array("
    "nullif(current_setting('tercero.clients', true), ''), ','))::bigint[]) END"
)


def replace_policies(apps, schema_editor) -> None:
    """Bring every existing client-isolation policy to the current POLICY_EXPRESSION."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_policies WHERE policyname = %s", [POLICY_NAME]
        )
        tables = cursor.fetchall()
    for schema, table in tables:
        name = f"{schema_editor.quote_name(schema)}.{schema_editor.quote_name(table)}"
        schema_editor.execute(
            f"ALTER POLICY {POLICY_NAME} ON {name} "
            f"USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})"
        )


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """Migration operation: isolate the rows of `model_name` by client on PostgreSQL."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = self._table(app_label, schema_editor, to_state)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} "
            f"USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = self._table(app_label, schema_editor, from_state)
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def _table(self, app_label, schema_editor, state) -> str:
        model = state.apps.get_model(app_label, self.model_name)
        return schema_editor.quote_name(model._meta.db_table)

    def describe(self) -> str:
        return f"Enable client row-level security on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"model_name": self.model_name})

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"
