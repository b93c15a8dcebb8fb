"""Structural rules that every model must follow, checked once for all of them."""

import pytest
from django.apps import apps
from django.db import connection
from django_scopes.exceptions import ScopeError

from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.rls import POLICY_NAME, STAFF_POLICY_NAME

# Reviewed global tables: not client data, or read before any scope can exist.
GLOBAL_TABLES = {
    "tenancy.Provider": "the operator of the install",
    "tenancy.Client": "the tenants themselves; access goes through grants",
    "identity.User": "people; client users point at their client, staff at none",
    "identity.Grant": "read to build the scope itself (in the all-clients scope)",
    "identity.ApiToken": "read to authenticate, before a scope exists (all-clients scope)",
    "identity.TotpDevice": "read while signing in, before a scope exists",
    "identity.RecoveryCode": "read while signing in, before a scope exists",
    "identity.SignInAttempt": "lockout counts, read before anyone is signed in",
    "audit.AuditEvent": "one chain across clients; client is null for provider events",
    "api.IdempotencyRecord": "keyed by caller, read before the handler picks a client",
    "ops.Heartbeat": "process health",
    "ops.ScheduledRun": "scheduler slots",
    "workforce.Site": "the provider's delivery centres serve many clients",
    "workforce.Agent": "provider staff serving several clients; clearances are client-owned",
    "workforce.PresenceChange": "an agent's own availability, no client data",
    "workforce.Team": "the provider's teams and their leads serve many clients, as agents do",
    "workforce.TeamMembership": "which team an agent is in, no client data",
    "work.ConsumerPosition": "how far each outbox consumer has read, across clients",
    "security.StepUp": "a step-up on one member of staff, whichever clients they serve",
    "scheduling.ShiftTemplate": "a site's shifts; sites serve many clients",
    "scheduling.LabourRuleSet": "a site's labour rules; sites serve many clients",
    "scheduling.Schedule": "a roster of agents, who serve many clients; coverage is per client",
    "scheduling.ScheduledShift": "an agent's shift across clients; no client data",
    "scheduling.Unavailability": "an agent's own time off, no client data",
    "billing.InvoiceSequence": "the provider's gapless invoice numbering, across its clients",
}


def tercero_models():
    return [m for m in apps.get_models() if m.__module__.startswith("tercero.")]


def client_models():
    return [m for m in tercero_models() if m._meta.label not in GLOBAL_TABLES]


def test_every_model_has_a_non_null_client_key_or_is_a_reviewed_global_table():
    # given / when
    offenders = []
    for model in client_models():
        field = next((f for f in model._meta.fields if f.name == "client"), None)
        if field is None or field.null or field.related_model is not Client:
            offenders.append(model._meta.label)

    # then
    assert offenders == [], f"add a non-null client FK or review them as global: {offenders}"


def test_the_reviewed_list_names_only_existing_models():
    labels = {m._meta.label for m in tercero_models()}
    assert set(GLOBAL_TABLES) <= labels


@pytest.mark.django_db
def test_querying_client_data_outside_a_scope_raises():
    # given
    models = client_models()

    # then
    assert models, "no client tables yet"
    for model in models:
        with pytest.raises(ScopeError):
            list(model.objects.all())


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_client_table_has_forced_row_level_security_and_the_policy():
    # given
    tables = {m._meta.db_table for m in client_models()}

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policies p ON p.tablename = c.relname "
            "WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.policyname = %s",
            [POLICY_NAME],
        )
        protected = {row[0] for row in cursor.fetchall()}

    # then
    assert tables - protected == set()


# Tables with a client id that row-level security does not guard, each with its reason.
# None: even the global tables above that carry a client id have the policy.
TABLES_WITHOUT_POLICY: dict[str, str] = {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_table_with_a_client_id_checks_the_verified_scope_or_is_reviewed():
    # given every table in the database that carries a client id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity, p.qual, p.with_check "
            "FROM information_schema.columns col "
            "JOIN pg_class c ON c.relname = col.table_name "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema "
            "LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.policyname = %s "
            "WHERE col.column_name = 'client_id' AND col.table_schema = 'public'",
            [POLICY_NAME],
        )
        tables = cursor.fetchall()

    # when
    unguarded = {
        name
        for name, forced, using, check in tables
        if not (
            forced and "tercero_scope()" in (using or "") and "tercero_scope()" in (check or "")
        )
    }

    # then each is forced, its policy reads and writes through the verified scope, or it
    # is reviewed with a reason
    assert len(tables) > 40
    assert unguarded - set(TABLES_WITHOUT_POLICY) == set()
    assert all(TABLES_WITHOUT_POLICY.values())


@pytest.mark.postgres
@pytest.mark.django_db
def test_no_other_policy_widens_the_client_policy_but_a_read_of_provider_staff():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, policyname, cmd FROM pg_policies WHERE policyname <> %s",
            [POLICY_NAME],
        )
        others = cursor.fetchall()
    assert others == [("identity_user", STAFF_POLICY_NAME, "SELECT")]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_application_connects_as_a_role_that_owns_no_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r "
            "WHERE r.rolname = current_user"
        )
        user, is_super, bypasses = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        owned = cursor.fetchone()[0]
    assert (is_super, bypasses, owned) == (False, False, 0), user
