"""Row-level security on PostgreSQL: SQL run through the application's connection (an
injection, say) can narrow its client scope but never widen it."""

import hashlib
import hmac
import os

import dj_database_url
import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from tests.factories import engagement_for

from tercero.platform.audit.services import record
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scope_key import hmac_pads, scope_key, scope_proof
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

# Each attack runs inside a transaction scoped to client A; {a} and {b} are client ids.
ATTACKS = {
    "set the list for the session": ["SELECT set_config('tercero.clients', '*', false)"],
    "set the list for the transaction": ["SELECT set_config('tercero.clients', '*', true)"],
    "widen the list under its own stamp": ["SELECT set_config('tercero.clients', '{a},{b}', true)"],
    "copy its stamp onto another list": [
        "SELECT set_config('tercero.clients', '{b}', true), "
        "set_config('tercero.scope_stamp', current_setting('tercero.scope_stamp'), true)"
    ],
    "SET": ["SET tercero.clients = '*'"],
    "SET LOCAL": ["SET LOCAL tercero.clients = '{b}'"],
    "RESET": ["RESET tercero.clients"],
    "RESET ALL": ["RESET ALL"],
}
# Each of these is refused outright ({owner} is the tables' owner).
REFUSED = {
    "read the key": "SELECT * FROM tercero_keys.scope_key",
    "replace the verifying function": (
        "CREATE OR REPLACE FUNCTION public.tercero_scope() RETURNS int8multirange "
        "LANGUAGE sql AS $$ SELECT '{{(,)}}'::int8multirange $$"
    ),
    "turn the policy off": "ALTER TABLE engagements_engagement NO FORCE ROW LEVEL SECURITY",
    "enter a scope with a forged proof": "SELECT tercero_enter_scope('*', repeat('0', 64))",
    "become the owner": "SET ROLE {owner}",
    "become the owner for the session": "SET SESSION AUTHORIZATION {owner}",
    "give itself the key table": "GRANT USAGE ON SCHEMA tercero_keys TO CURRENT_USER",
    "make a list its role's default": "ALTER ROLE CURRENT_USER SET tercero.clients = '*'",
}


def _seen(cursor) -> set[int]:
    cursor.execute("SELECT client_id FROM engagements_engagement")
    return {row[0] for row in cursor.fetchall()}


def _writes(cursor, client_id: int) -> bool:
    """Whether SQL may add a row for `client_id`: False when row-level security refuses."""
    try:
        with transaction.atomic():
            cursor.execute(
                "INSERT INTO security_privacypolicy (client_id, updated_at) VALUES (%s, now())",
                [client_id],
            )
    except DatabaseError as error:
        if "row-level security" not in str(error):
            raise
        return False
    return True


def _owner() -> str:
    return dj_database_url.parse(os.environ["DATABASE_URL"])["USER"]


@pytest.mark.postgres
@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_sql_that_sets_the_client_list_itself_sees_no_client(tenant_a, tenant_b, attack):
    # given each client's row, and a transaction in client A's scope
    a, b = tenant_a.client.pk, tenant_b.client.pk
    engagement_for(tenant_a.client)
    engagement_for(tenant_b.client)
    with client_scope(clients=[a]), transaction.atomic(), connection.cursor() as cursor:
        before = _seen(cursor)

        # when SQL in that transaction rewrites the client list
        for statement in attack:
            cursor.execute(statement.format(a=a, b=b))

        # then it sees no client at all, and writes for none
        after = _seen(cursor)
        writes = (_writes(cursor, b), _writes(cursor, a))
    assert (before, after, writes) == ({a}, set(), (False, False))


@pytest.mark.postgres
@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_sql_cannot_reach_the_key_or_become_another_role(tenant_a, tenant_b, statement):
    # given each client's row, and a transaction in client A's scope
    engagement_for(tenant_a.client)
    engagement_for(tenant_b.client)
    with client_scope(clients=[tenant_a.client]), transaction.atomic(), connection.cursor() as c:
        # when SQL in that transaction reaches for the key or the owner's role
        with pytest.raises(DatabaseError), transaction.atomic():
            c.execute(statement.format(owner=connection.ops.quote_name(_owner())))

        # then it is refused and the scope is still A alone
        assert _seen(c) == {tenant_a.client.pk}


@pytest.mark.postgres
def test_a_proof_made_for_another_connection_or_list_is_refused(tenant_a, tenant_b):
    # given a transaction in client A's scope, and proofs as another connection or list
    # would hold them (each is bound to its list and to one database server process)
    engagement_for(tenant_b.client)
    with client_scope(clients=[tenant_a.client]), transaction.atomic(), connection.cursor() as c:
        pid = connection.connection.info.backend_pid
        borrowed = [("*", scope_proof("*", backend_pid=pid + 1))]
        borrowed.append(("*", scope_proof(str(tenant_a.client.pk), backend_pid=pid)))

        # when SQL enters a scope with them
        for clients, proof in borrowed:
            with pytest.raises(DatabaseError, match="proof does not verify"), transaction.atomic():
                c.execute("SELECT tercero_enter_scope(%s, %s)", [clients, proof])

        # then nothing of B's is visible
        assert _seen(c) == set()


@pytest.mark.postgres
def test_a_stamp_kept_for_the_session_opens_nothing_in_a_later_transaction(
    transactional_db, tenant_a, tenant_b
):
    # given SQL in client A's transaction that keeps its list and stamp for the session
    engagement_for(tenant_a.client)
    with client_scope(clients=[tenant_a.client]), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "SELECT set_config('tercero.clients', current_setting('tercero.clients'), false), "
            "set_config('tercero.scope_stamp', current_setting('tercero.scope_stamp'), false)"
        )

    # when the connection's next transaction runs with no scope
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('tercero.clients')")
        kept = cursor.fetchone()[0]
        seen = _seen(cursor)

    # then the stamp is worth nothing outside its own transaction
    assert (kept, seen) == (str(tenant_a.client.pk), set())


@pytest.mark.postgres
def test_a_scope_entered_after_an_unscoped_statement_is_set_for_its_transaction(
    transactional_db, tenant_a
):
    # given a connection whose last transaction ran in the all-clients scope
    engagement_for(tenant_a.client)
    with all_clients_scope(), transaction.atomic(), connection.cursor() as cursor:
        _seen(cursor)

    # when the next transaction runs a statement without a scope, then enters it again
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with all_clients_scope(), connection.cursor() as cursor:
            seen = _seen(cursor)

    # then the scope is set in this transaction too (not taken as still set from the last)
    assert seen == {tenant_a.client.pk}


@pytest.mark.postgres
def test_scopes_set_by_the_application_still_read_and_write(tenant_a, tenant_b):
    # given each client's row
    a, b = tenant_a.client.pk, tenant_b.client.pk
    engagement_for(tenant_a.client)
    engagement_for(tenant_b.client)

    # when the application reads in A's scope, every client's and none
    with client_scope(clients=[a]), transaction.atomic(), connection.cursor() as cursor:
        in_a = _seen(cursor)
        cursor.execute("UPDATE engagements_engagement SET name = 'Renamed'")
        renamed = cursor.rowcount
        writes = (_writes(cursor, a), _writes(cursor, b))
    with all_clients_scope(), connection.cursor() as cursor:
        everyone = _seen(cursor)
    with transaction.atomic(), connection.cursor() as cursor:
        nobody = _seen(cursor)
    with client_scope(clients=[]), connection.cursor() as cursor:
        empty = _seen(cursor)

    # then each scope sees exactly its clients, and writes only its own rows
    assert (in_a, renamed, writes) == ({a}, 1, (True, False))
    assert (everyone, nobody, empty) == ({a, b}, set(), set())


@pytest.mark.postgres
def test_a_client_scope_sees_its_own_people_grants_tokens_and_events_only(
    tenant_a, tenant_b, provider_admin
):
    # given each client's people, grants, tokens and events, and a provider-wide event
    a, b = tenant_a.client.pk, tenant_b.client.pk
    for tenant in (tenant_a, tenant_b):
        with client_scope(clients=[tenant.client]):
            create_api_token(
                actor=tenant.client_admin, client=tenant.client, name="ci", scopes=["work:read"]
            )
    record(action="test.thing.happened")

    # when SQL in A's scope reads them all
    with client_scope(clients=[a]), connection.cursor() as cursor:
        cursor.execute("SELECT email FROM identity_user")
        people = {row[0] for row in cursor.fetchall()}
        seen = {}
        for table in ("identity_grant", "identity_apitoken", "audit_auditevent"):
            cursor.execute(f"SELECT DISTINCT client_id FROM {table}")
            seen[table] = {row[0] for row in cursor.fetchall()}
    with all_clients_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT client_id FROM audit_auditevent")
        every_event = {row[0] for row in cursor.fetchall()}

    # then A's client users and provider staff, and only A's rows; provider-wide events
    # only in the all-clients scope
    staff = {t.team_lead.email for t in (tenant_a, tenant_b)}
    staff |= {t.agent.email for t in (tenant_a, tenant_b)} | {provider_admin.email}
    assert people == staff | {tenant_a.client_admin.email, tenant_a.client_user.email}
    assert seen == {"identity_grant": {a}, "identity_apitoken": {a}, "audit_auditevent": {a}}
    assert every_event == {a, b, None}


@pytest.mark.postgres
def test_a_client_scope_cannot_change_staff_or_another_clients_people(
    tenant_a, tenant_b, provider_admin
):
    # given A's scope
    with client_scope(clients=[tenant_a.client]), connection.cursor() as cursor:
        # when SQL sets passwords on a provider admin, B's admin and A's own admin
        changed = []
        for person in (provider_admin, tenant_b.client_admin, tenant_a.client_admin):
            cursor.execute("UPDATE identity_user SET password = '' WHERE id = %s", [person.pk])
            changed.append(cursor.rowcount)

    # then only A's own person's row could change
    assert changed == [0, 0, 1]


@pytest.mark.postgres
def test_the_database_checks_and_stamps_with_the_applications_key(owner_cursor):
    # given a proof made by the application for the database process it talks to
    pid = owner_cursor.connection.info.backend_pid
    proof = scope_proof("3,5", backend_pid=pid)

    # when the database enters that scope
    with owner_cursor.connection.transaction():
        owner_cursor.execute("SELECT tercero_enter_scope('3,5', %s)", [proof])
        owner_cursor.execute(
            "SELECT current_setting('tercero.scope_stamp'), extract(epoch FROM now())::text"
        )
        stamp, started = owner_cursor.fetchone()

    # then its stamp is HMAC-SHA256 under the same key (RFC 2104) of list, process, start
    message = f"stamp|3,5|{pid}|{started}".encode()
    assert stamp == hmac.new(scope_key(), message, hashlib.sha256).hexdigest()


@pytest.mark.postgres
def test_a_key_that_differs_from_the_databases_is_a_clear_error(owner_cursor, tenant_a):
    # given the database holding another key than the application's
    owner_cursor.execute(
        "UPDATE tercero_keys.scope_key SET inner_pad = %s, outer_pad = %s",
        hmac_pads(b"\x01" * 32),
    )
    try:
        # when the application enters a client scope
        with (
            pytest.raises(DatabaseError, match="proof does not verify") as refused,
            client_scope(clients=[tenant_a.client]),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT count(*) FROM engagements_engagement")
    finally:
        owner_cursor.execute(
            "UPDATE tercero_keys.scope_key SET inner_pad = %s, outer_pad = %s",
            hmac_pads(scope_key()),
        )

    # then it fails, saying what to do, instead of showing empty pages
    cause = refused.value.__cause__
    assert isinstance(cause, psycopg.Error)
    assert "tercero db grant" in str(cause.diag.message_hint)


def test_hmac_pads_make_sha256_an_hmac():
    # given a key and a message
    key, message = bytes(range(32)), b"scope|3,7|1234"

    # when the database's construction is computed with the stored pads
    inner, outer = hmac_pads(key)
    built = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()

    # then it equals HMAC-SHA256 (RFC 2104)
    assert built == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_the_embedded_scope_key_is_made_once_and_only_its_owner_reads_it(
    settings, tmp_path, monkeypatch
):
    # given no SCOPE_KEY and an empty var directory
    monkeypatch.delenv("SCOPE_KEY", raising=False)
    settings.VAR_DIR = tmp_path
    scope_key.cache_clear()
    try:
        # when the key is needed twice (a cache miss each time)
        first = scope_key()
        scope_key.cache_clear()
        second = scope_key()
    finally:
        scope_key.cache_clear()

    # then one 32-byte key was generated, readable by its owner only
    assert (first, len(first)) == (second, 32)
    assert (tmp_path / "scope_key").stat().st_mode & 0o777 == 0o600
