"""Every signed-in page carries a CSP with a fresh nonce, uses it on every script and
stylesheet, has no inline script or style attribute, and time-outs end idle sessions."""

import re
import time

import pytest
import time_machine
from django.urls import reverse

from tercero.platform.identity.middleware import LAST_ACTIVITY
from tercero.platform.identity.tests.factories import PASSWORD

PAGES = [
    "/work/",
    "/work/items/",
    "/ops/",
    "/ops/sla/",
    "/engagements/",
    "/agents/",
    "/sites/",
    "/account/password/",
    "/?stay=1",
]
PORTAL = ["/portal/", "/portal/items/", "/portal/sla/", "/portal/users/"]


def _assert_csp(response):
    csp = response["Content-Security-Policy"]
    found = re.search(r"'nonce-([^']+)'", csp)
    assert found is not None
    nonce = found.group(1)
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    page = response.content.decode()
    tags = re.findall(r"<script\b[^>]*>|<link\b[^>]*stylesheet[^>]*>", page)
    for tag in re.finditer(r"<script\b[^>]*>|<link\b[^>]*stylesheet[^>]*>", page):
        assert f'nonce="{nonce}"' in tag.group(0), tag.group(0)
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, "inline script"
    return tags


@pytest.mark.parametrize("path", PAGES)
def test_staff_pages_carry_a_csp_nonce_on_every_script(client, provider_admin, path):
    client.force_login(provider_admin)
    response = client.get(path)
    assert response.status_code == 200
    assert _assert_csp(response)


@pytest.mark.parametrize("path", PORTAL)
def test_portal_pages_carry_a_csp_nonce_on_every_script(client, tenant_a, path):
    client.force_login(tenant_a.client_admin)
    response = client.get(path)
    assert response.status_code == 200
    assert _assert_csp(response)


def test_each_response_has_a_new_nonce(client, provider_admin):
    client.force_login(provider_admin)
    first = client.get("/sites/")["Content-Security-Policy"]
    second = client.get("/sites/")["Content-Security-Policy"]
    assert first != second


def test_an_idle_session_is_signed_out(client, tenant_a, settings):
    # protects: a screen left open is not usable by the next person after the time-out
    client.post("/login/", {"username": tenant_a.agent.email, "password": PASSWORD})
    assert client.get("/work/items/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/work/items/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/work/items/").status_code == 302


def test_background_refreshes_do_not_keep_a_session_alive(client, tenant_a, settings):
    client.post("/login/", {"username": tenant_a.agent.email, "password": PASSWORD})
    session = client.session
    session[LAST_ACTIVITY] = time.time() - settings.SESSION_IDLE_SECONDS + 30
    session.save()
    # a poll (X-Tercero-Poll) does not count as activity ...
    client.get("/work/mine/", headers={"X-Tercero-Poll": "1"})
    assert client.session[LAST_ACTIVITY] < time.time() - settings.SESSION_IDLE_SECONDS + 60
    # ... the user's own request (the keep-alive button) does
    assert client.post(reverse("keepalive")).status_code == 204
    assert client.session[LAST_ACTIVITY] > time.time() - 5


def test_password_change_signs_out_other_sessions(client, tenant_a):
    from django.test import Client

    other = Client()
    other.post("/login/", {"username": tenant_a.agent.email, "password": PASSWORD})
    client.post("/login/", {"username": tenant_a.agent.email, "password": PASSWORD})
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 2026",
            "new_password2": "a much longer passphrase 2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/work/items/").status_code == 200  # this session stays
    assert other.get("/work/items/").status_code == 302  # the other one ends


def test_a_session_that_only_polls_after_sign_in_idles_out(client, tenant_a, settings):
    # protects: polls never count as activity, even when nothing else happened since sign-in
    signed_in = time.time()
    with time_machine.travel(signed_in, tick=False):
        client.post("/login/", {"username": tenant_a.agent.email, "password": PASSWORD})
    poll = {"X-Tercero-Poll": "1"}
    with time_machine.travel(signed_in + settings.SESSION_IDLE_SECONDS - 10, tick=False):
        assert client.get("/work/mine/", headers=poll).status_code == 200
    with time_machine.travel(signed_in + settings.SESSION_IDLE_SECONDS + 10, tick=False):
        response = client.get("/work/mine/", headers=poll)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
