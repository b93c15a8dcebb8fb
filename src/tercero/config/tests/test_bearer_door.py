"""The API's two doors: a usable bearer token skips the session's middleware, and the
session path (a cookie, or a token that is not usable) keeps CSRF and the rest."""

import json

from django.conf import settings
from django.test import Client

from tercero.platform.identity.models import ApiToken
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


def _token(tenant, scopes: list[str]) -> str:
    with client_scope(clients=[tenant.client]):
        _, plain = create_api_token(
            actor=tenant.client_admin, client=tenant.client, name="ci", scopes=scopes
        )
    return plain


def _mint(browser: Client, tenant, headers: dict[str, str] | None = None):
    return browser.post(
        "/api/v1/tokens",
        json.dumps({"name": "x", "client_id": tenant.client.pk, "scopes": ["work:read"]}),
        content_type="application/json",
        headers=headers,
    )


def _tokens() -> int:
    with all_clients_scope():
        return ApiToken.objects.count()


def test_a_token_call_is_the_tokens_person_even_beside_another_persons_session(tenant_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(tenant_a.client_user)
    plain = _token(tenant_a, ["tokens:write"])

    me = browser.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {plain}")

    assert me.status_code == 200
    assert me.json()["email"] == tenant_a.client_admin.email
    # the session was neither read nor written: no cookie is set or refreshed
    assert settings.SESSION_COOKIE_NAME not in me.cookies
    assert settings.CSRF_COOKIE_NAME not in me.cookies


def test_a_token_write_needs_no_csrf_token(tenant_a):
    browser = Client(enforce_csrf_checks=True)
    plain = _token(tenant_a, ["tokens:write", "work:read"])
    before = _tokens()

    made = _mint(browser, tenant_a, {"authorization": f"Bearer {plain}"})

    assert made.status_code == 201
    assert _tokens() == before + 1


def test_a_session_write_with_an_unusable_token_beside_it_is_still_refused(tenant_a):
    # a token that lets nothing in must not turn the call into a cookie call either
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=tenant_a.client_admin.email, password=PASSWORD)
    plain = _token(tenant_a, ["tokens:write", "work:read"])
    with client_scope(clients=[tenant_a.client]):
        tenant_a.client_admin.api_tokens.update(revoked_at="2020-01-01T00:00:00Z")
    before = _tokens()

    for header in (f"Bearer {plain}", "Bearer trc_000000000000_nope", "Basic eDp5"):
        refused = _mint(browser, tenant_a, {"authorization": header})
        assert refused.status_code in (401, 403), header

    assert _tokens() == before


def test_a_session_write_still_needs_its_csrf_token(tenant_a):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=tenant_a.client_admin.email, password=PASSWORD)
    before = _tokens()

    assert _mint(browser, tenant_a).status_code == 403

    token = browser.get("/account/password/").cookies[settings.CSRF_COOKIE_NAME].value
    assert _mint(browser, tenant_a, {"x-csrftoken": token}).status_code == 201
    assert _tokens() == before + 1
