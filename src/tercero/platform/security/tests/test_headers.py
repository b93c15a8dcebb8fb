"""Hardening every response carries: no caching of signed-in answers, device features
off, CSRF on session-authenticated API writes, sealed webhook secrets."""

import json

from tercero.platform.identity.tests.factories import PASSWORD


def test_signed_in_pages_and_api_answers_are_never_cached(client, tenant_a):
    # protects: customer data left in a shared browser's cache or a proxy
    client.force_login(tenant_a.team_lead)
    for url in ("/work/items/", "/api/v1/users/me", "/?stay=1"):
        response = client.get(url, follow=True)
        assert "no-store" in response["Cache-Control"], url
    assert "camera=()" in response["Permissions-Policy"]


def test_the_anonymous_sign_in_page_carries_the_hardening_headers(client, db):
    # protects: clickjacking, MIME sniffing, referrer leaks, device features
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_session_api_write_without_the_csrf_token_is_refused(tenant_a):
    # protects: cross-site request forgery against the API through the session cookie
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=tenant_a.client_admin.email, password=PASSWORD)
    response = browser.post(
        "/api/v1/tokens",
        json.dumps({"name": "x", "client_id": tenant_a.client.pk, "scopes": ["work:read"]}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_webhook_signing_secrets_are_stored_sealed(tenant_a, settings):
    # protects: a database dump must not hand out the secrets that sign our webhooks
    settings.TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
    from tercero.delivery.work import webhooks
    from tercero.delivery.work.models import WebhookEndpoint
    from tercero.platform.tenancy.scoping import client_scope

    with client_scope(clients=[tenant_a.client]):
        endpoint, secret = webhooks.create_endpoint(
            actor=tenant_a.client_admin, client=tenant_a.client, url="http://127.0.0.1:9/hook"
        )
        stored = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    assert secret not in stored
    assert webhooks.signing_secret(endpoint) == secret
