"""Row-level security for client tables on PostgreSQL (a no-op on SQLite).

Each client table gets FORCE ROW LEVEL SECURITY and one policy: a row is visible and
writable only when its client is in the transaction's verified scope. The scope is the
setting `tercero.clients` (ids, or `*` for system work), trusted only beside a stamp
that `tercero_enter_scope` wrote after checking the application's proof, an HMAC under
the scope key (`scope_key.py`). The database's copy of that key sits in the schema
`tercero_keys`, which the application's role cannot read, so SQL run through the
application's connection can narrow its scope but never widen it: a list it sets itself,
a stamp copied from another transaction, another connection or another list, all verify
as no clients. Rows whose client is null (provider-wide) count as client 0, which only
the all-clients scope contains.
"""

from collections.abc import Callable
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState, StateApps

from tercero.platform.tenancy.scope_key import hmac_pads, scope_key

POLICY_NAME = "tercero_client_isolation"
# The verified scope is an int8multirange: '{}' for none, '{(,)}' for every client.
# It sits in a scalar subquery, which PostgreSQL evaluates once per statement (an
# InitPlan) instead of once per row: a claim that walks a queue skips many rows, and
# each would otherwise check the stamp again.
POLICY_EXPRESSION = "COALESCE(client_id, 0) <@ (SELECT tercero_scope())"
# Provider staff (users without a client) are named on every client's pages: any
# verified scope may read them; only the all-clients scope may change them.
STAFF_POLICY_NAME = "tercero_provider_staff"
STAFF_POLICY_EXPRESSION = "client_id IS NULL AND NOT isempty((SELECT tercero_scope()))"
# Tables that carry a client id but were global before the scope was verified.
LATE_TABLES = ("audit_auditevent", "identity_user", "identity_grant", "identity_apitoken")


def hmac_sql(message: str) -> str:
    """SQL for HMAC-SHA256 (RFC 2104) of the text `message` under the key row `k`, from
    the built-in sha256() and the stored pads, so no extension is needed. Written out in
    each function: a call to a SQL function would be planned anew every time."""
    return (
        "encode(sha256(k.outer_pad || sha256(k.inner_pad || "
        f"convert_to({message}, 'UTF8'))), 'hex')"
    )


def differs_sql(given: str, expected: str) -> str:
    """SQL that is true unless `given` equals `expected`, comparing their SHA-256s: text
    comparison stops at the first differing byte, and timing it must not tell SQL that
    tries candidates how much of a MAC it has right."""
    return (
        f"sha256(convert_to({given}, 'UTF8')) "
        f"IS DISTINCT FROM sha256(convert_to({expected}, 'UTF8'))"
    )


# The proof binds the client list to this server process; the stamp binds it to this
# transaction (its start time), so neither is worth anything anywhere else.
PROOF_MESSAGE = "'scope|' || clients || '|' || pg_backend_pid()"
STAMP_MESSAGE = "'stamp|' || clients || '|' || pg_backend_pid() || '|' || extract(epoch FROM now())"
# The key table's schema is not granted to the application's role.
_INSTALL = [
    "CREATE SCHEMA IF NOT EXISTS tercero_keys",
    "REVOKE ALL ON SCHEMA tercero_keys FROM PUBLIC",
    """CREATE TABLE IF NOT EXISTS tercero_keys.scope_key (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        inner_pad bytea NOT NULL,
        outer_pad bytea NOT NULL)""",
    "REVOKE ALL ON tercero_keys.scope_key FROM PUBLIC",
    "DROP FUNCTION IF EXISTS tercero_keys.mac(text)",
    f"""CREATE OR REPLACE FUNCTION public.tercero_enter_scope(clients text, proof text)
    RETURNS void LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        k tercero_keys.scope_key;
    BEGIN
        SELECT * INTO k FROM tercero_keys.scope_key;
        IF {differs_sql("proof", hmac_sql(PROOF_MESSAGE))} THEN
            RAISE EXCEPTION 'client scope refused: its proof does not verify'
                USING ERRCODE = 'insufficient_privilege',
                HINT = 'The application and the database hold different scope keys; '
                    'run "tercero db grant" with the application''s SCOPE_KEY.';
        END IF;
        PERFORM set_config('tercero.clients', clients, true);
        PERFORM set_config('tercero.scope_stamp', {hmac_sql(STAMP_MESSAGE)}, true);
    END $$""",
    # A verified list is digits and commas, so "3,5" becomes '{[3,3],[5,5]}'.
    rf"""CREATE OR REPLACE FUNCTION public.tercero_scope() RETURNS int8multirange
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        clients text := current_setting('tercero.clients', true);
        k tercero_keys.scope_key;
    BEGIN
        IF coalesce(clients, '') = '' THEN
            RETURN '{{}}';
        END IF;
        SELECT * INTO k FROM tercero_keys.scope_key;
        IF {differs_sql("current_setting('tercero.scope_stamp', true)", hmac_sql(STAMP_MESSAGE))}
        THEN
            RETURN '{{}}';
        END IF;
        IF clients = '*' THEN
            RETURN '{{(,)}}';
        END IF;
        RETURN ('{{' || regexp_replace(clients, '(\d+)', '[\1,\1]', 'g') || '}}')::int8multirange;
    END $$""",
    "REVOKE ALL ON FUNCTION public.tercero_enter_scope(text, text) FROM PUBLIC",
    "REVOKE ALL ON FUNCTION public.tercero_scope() FROM PUBLIC",
]
APP_FUNCTIONS = ("public.tercero_enter_scope(text, text)", "public.tercero_scope()")
_STORE_KEY = (
    "INSERT INTO tercero_keys.scope_key (inner_pad, outer_pad) VALUES (%s, %s) "
    "ON CONFLICT (only_row) DO "
)


def install_scope_functions(execute: Callable[..., object], *, replace_key: bool = False) -> None:
    """Create the key table and the verifying functions (idempotent) through `execute`
    (a cursor's or a schema editor's), and store the scope key: only when none is
    stored yet, unless `replace_key` (`tercero db grant`)."""
    for statement in _INSTALL:
        execute(statement, None)
    action = "UPDATE SET inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad"
    execute(_STORE_KEY + (action if replace_key else "NOTHING"), hmac_pads(scope_key()))


def replace_policies(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Bring every existing client-isolation policy to the current POLICY_EXPRESSION."""
    if schema_editor.connection.vendor != "postgresql":
        return
    install_scope_functions(schema_editor.execute)
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


def _enable(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    install_scope_functions(schema_editor.execute)
    schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    schema_editor.execute(
        f"CREATE POLICY {POLICY_NAME} ON {table} "
        f"USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})"
    )


def _disable(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
    schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def protect_late_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Give the audit trail, users, grants and tokens the client policy (and staff rows
    their read-only policy)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in LATE_TABLES:
        _enable(schema_editor, table)
    schema_editor.execute(
        f"CREATE POLICY {STAFF_POLICY_NAME} ON identity_user FOR SELECT "
        f"USING ({STAFF_POLICY_EXPRESSION})"
    )


def unprotect_late_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP POLICY IF EXISTS {STAFF_POLICY_NAME} ON identity_user")
    for table in LATE_TABLES:
        _disable(schema_editor, table)


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """Migration operation: isolate the rows of `model_name` by client on PostgreSQL."""

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
        if schema_editor.connection.vendor != "postgresql":
            return
        _enable(schema_editor, self._table(app_label, schema_editor, to_state))

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        _disable(schema_editor, self._table(app_label, schema_editor, from_state))

    def _table(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState
    ) -> str:
        model = state.apps.get_model(app_label, self.model_name)
        return schema_editor.quote_name(model._meta.db_table)

    def describe(self) -> str:
        return f"Enable client row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"model_name": self.model_name})

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"
