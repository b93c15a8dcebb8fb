"""PostgreSQL roles: the application runs as a role that owns no table.

Row-level security binds every role but superusers and BYPASSRLS roles, and FORCE makes
it bind the owner too; running as a separate role also lets us withhold UPDATE and
DELETE on the audit trail. Run by the owner after each migration (`tercero db grant`);
it also stores the application's scope key where the application's role cannot read it,
so only the application proves which clients a transaction may see (`tenancy/rls.py`).
"""

from django.db import connection

from tercero.platform.tenancy.rls import APP_FUNCTIONS, install_scope_functions

APPEND_ONLY_TABLES = ("audit_auditevent",)


def create_role_sql(quoted: str) -> str:
    """SQL that creates the application's role (`quoted`, already quoted) unless it exists,
    also when another process creates it at the same moment."""
    return (
        "DO $$ BEGIN "
        f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
        "END $$"
    )


def grant_app_role(*, role: str, allow_truncate: bool = False) -> None:
    """Create `role` if missing and grant it what the application needs, nothing more;
    store the scope key (replacing the one stored before).

    `allow_truncate` is for the test suite, whose transactional tests empty tables
    between tests; production never passes it.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("database roles exist only on PostgreSQL")
    quoted = connection.ops.quote_name(role)
    table_rights = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if allow_truncate else "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # Roles belong to the whole server: another process setting up another
            # database at the same moment may create it first.
            cursor.execute(create_role_sql(quoted))
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT {table_rights} ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                f"REVOKE UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {quoted}"
            )
        install_scope_functions(cursor.execute, replace_key=True)
        cursor.execute(f"REVOKE ALL ON SCHEMA tercero_keys FROM {quoted}")
        cursor.execute(f"GRANT EXECUTE ON FUNCTION {', '.join(APP_FUNCTIONS)} TO {quoted}")
