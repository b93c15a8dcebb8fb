"""Shared fixtures. Every test has two clients, so an outsider is always present."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection

from tercero.platform.audit.immutability import allow_flush
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.ops.database import grant_app_role
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.tests.factories import ClientFactory, ProviderFactory

APP_ROLE = "tercero_app"


def pytest_configure(config):
    settings.PASSWORD_HASHERS = [
        "tercero.platform.identity.tests.hashers.QuickArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _second_factor(request, settings):
    """Most tests sign in with a password alone; tests marked `mfa` (and the MFA tests
    themselves) run with the second factor enforced, as production does."""
    settings.MFA_ENFORCED = "mfa" in request.keywords


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, tests run as a role that owns no table, so row-level security and
    the audit trail's missing UPDATE/DELETE rights bind exactly as in production."""
    if connection.vendor != "postgresql":
        yield
        return
    owner = connection.settings_dict["USER"]
    with django_db_blocker.unblock():
        grant_app_role(role=APP_ROLE, allow_truncate=True)
    connection.close()
    connection.settings_dict["USER"] = APP_ROLE
    yield
    connection.close()
    connection.settings_dict["USER"] = owner


@pytest.fixture(autouse=True)
def _audit_trail_is_append_only():
    """Every test starts with the audit trail's triggers in force (see below)."""
    allow_flush(False)


@pytest.fixture
def transactional_db(transactional_db):
    """Transactional tests commit for real; emptying the tables afterwards must get past
    the audit trail's append-only triggers (SQLite deletes rows; PostgreSQL truncates,
    which row triggers do not see). Teardown runs before pytest-django's flush."""
    yield
    allow_flush(True)


@pytest.fixture
def owner_cursor(django_db_blocker):
    """A cursor on a connection as the table owner (PostgreSQL), for tests that play an
    attacker with database access, e.g. editing the audit trail."""
    import psycopg

    db = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], host=db["HOST"] or "", port=db["PORT"] or "", user=_owner()
    )
    with psycopg.connect(conninfo, autocommit=True) as raw:
        yield raw.cursor()


def _owner() -> str:
    import os

    import dj_database_url

    return dj_database_url.parse(os.environ["DATABASE_URL"])["USER"]


@dataclass
class Tenant:
    """One client company with its people: a team lead and an agent granted to it
    (provider side), and a client admin and client user (client side)."""

    client: Client
    team_lead: User
    agent: User
    client_admin: User
    client_user: User


def _tenant(name: str, country: str, time_zone: str) -> Tenant:
    client = ClientFactory(legal_name=name, country=country, time_zone=time_zone)
    slug = name.split()[0].lower()
    team_lead = UserFactory(email=f"lead@{slug}.example", role=Role.TEAM_LEAD)
    agent = UserFactory(email=f"agent@{slug}.example", role=Role.AGENT)
    with all_clients_scope():
        for person in (team_lead, agent):
            Grant.objects.create(user=person, client=client, reason="fixture")
    return Tenant(
        client=client,
        team_lead=team_lead,
        agent=agent,
        client_admin=UserFactory(
            email=f"admin@{slug}-co.example", role=Role.CLIENT_ADMIN, client=client
        ),
        client_user=UserFactory(
            email=f"user@{slug}-co.example", role=Role.CLIENT_USER, client=client
        ),
    )


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def tenant_a(provider) -> Tenant:
    return _tenant("Acme Retail Inc", "US", "America/New_York")


@pytest.fixture
def tenant_b(provider) -> Tenant:
    return _tenant("Bergmann Maschinenbau GmbH", "DE", "Europe/Berlin")


@pytest.fixture
def provider_admin(tenant_a, tenant_b) -> User:
    admin = UserFactory(email="admin@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        for tenant in (tenant_a, tenant_b):
            Grant.objects.create(user=admin, client=tenant.client, reason="fixture")
    return admin
