"""How sessions and tokens end: absolute lifetime from the moment of sign-in, password
changes and deactivation."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from tercero.platform.identity.middleware import SIGNED_IN_AT
from tercero.platform.identity.services import create_api_token, set_user_active
from tercero.platform.identity.tests.factories import PASSWORD, enrolled_authenticator, next_code
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.mfa


def _token(user, client) -> dict:
    with client_scope(clients=[client]):
        _, plain = create_api_token(actor=user, client=client, name="ci", scopes=["work:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_the_absolute_lifetime_counts_from_the_second_factor(tenant_a, settings):
    # protects: SESSION_ABSOLUTE_SECONDS ends a session signed in with both factors, busy or not
    browser = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        totp, _ = enrolled_authenticator(tenant_a.client_admin)
        browser.post("/login/", {"username": tenant_a.client_admin.email, "password": PASSWORD})
        browser.post("/login/mfa/", {"code": next_code(totp)})
        assert browser.session[SIGNED_IN_AT] == start.timestamp()
    busy = start + timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS - 30)
    keep_busy = timedelta(seconds=settings.SESSION_IDLE_SECONDS - 30)
    moment = start + keep_busy
    while moment < busy:
        with time_machine.travel(moment, tick=False):
            assert browser.get("/portal/").status_code == 200
        moment += keep_busy
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS + 1)):
        response = browser.get("/portal/")
        assert response["Location"] == "/login/?next=/portal/"
        assert SESSION_KEY not in browser.session


def test_changing_the_password_on_its_page_ends_older_tokens(client, tenant_a):
    # protects: password_changed_at is stamped by the page people use, so leaked tokens die
    auth = _token(tenant_a.client_user, tenant_a.client)
    client.force_login(tenant_a.client_user)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        response = client.post(
            "/account/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "seven silver lanterns at dusk",
                "new_password2": "seven silver lanterns at dusk",
            },
        )
        assert response.status_code == 302
        script = Client()  # a script holds the token, not the browser's session
        assert script.get("/api/v1/users/me", **auth).status_code == 401
        fresh = _token(tenant_a.client_user, tenant_a.client)
        assert script.get("/api/v1/users/me", **fresh).status_code == 200


def test_deactivating_a_person_ends_their_sessions_and_tokens_at_once(tenant_a):
    # protects: a leaver's open browser and scripts stop the moment an admin deactivates them
    auth = _token(tenant_a.client_user, tenant_a.client)
    browser = Client()
    browser.force_login(tenant_a.client_user)
    assert browser.get("/portal/").status_code == 200
    set_user_active(actor=tenant_a.client_admin, user=tenant_a.client_user, is_active=False)
    assert browser.get("/portal/")["Location"] == "/login/?next=/portal/"
    assert browser.get("/api/v1/users/me").status_code == 401
    assert Client().get("/api/v1/users/me", **auth).status_code == 401
