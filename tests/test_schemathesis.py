"""Fuzz the whole OpenAPI with two clients' tokens: no input may produce a 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tercero.config.wsgi import application
from tercero.platform.identity.roles import PERMISSIONS
from tercero.platform.identity.services import create_api_token

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(keep_test_connection, tenant_a, tenant_b, provider_admin):
    made = []
    for tenant in (tenant_a, tenant_b):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant.client, name="fuzz", scopes=list(PERMISSIONS)
        )
        made.append(plain)
    return made


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_produces_a_server_error(case, tokens):
    for token in tokens:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (case.method, case.path, response.text[:500])
