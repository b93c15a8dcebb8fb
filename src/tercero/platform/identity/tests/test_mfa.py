"""The second factor: who needs it, setting it up, the half-way session, recovery codes
and the audit trail of every code."""

import re
import time

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity import mfa
from tercero.platform.identity.middleware import MFA_PENDING, MFA_PENDING_SECONDS
from tercero.platform.identity.roles import MFA_REQUIRED_ROLES, PROVIDER_ROLES, Role
from tercero.platform.identity.tests.factories import (
    PASSWORD,
    enrolled_authenticator,
    next_code,
)
from tercero.platform.tenancy.scoping import all_clients_scope

pytestmark = pytest.mark.mfa


def _password(browser, user):
    return browser.post("/login/", {"username": user.email, "password": PASSWORD})


def _actions(user) -> list[str]:
    events = AuditEvent.objects.filter(object_type="user", object_id=str(user.pk))
    with all_clients_scope():
        return list(events.order_by("sequence").values_list("action", flat=True))


def test_every_role_that_sees_personal_data_and_client_admins_need_a_second_factor():
    # protects: the roles that must use MFA (a role dropped here signs in with a password)
    assert PROVIDER_ROLES | {Role.CLIENT_ADMIN} == MFA_REQUIRED_ROLES
    assert Role.CLIENT_USER not in MFA_REQUIRED_ROLES


def test_a_client_user_signs_in_with_a_password_until_they_enrol(client, tenant_a):
    # protects: optional MFA for client users, and that enrolling makes it required for them
    assert _password(client, tenant_a.client_user)["Location"] == "/"
    client.logout()
    enrolled_authenticator(tenant_a.client_user)
    assert _password(client, tenant_a.client_user)["Location"] == "/login/mfa/"
    assert SESSION_KEY not in client.session


def test_a_password_alone_cannot_replace_the_authenticator_in_use(client, tenant_a):
    # protects: MFA bypass - a half-signed-in session setting up its own authenticator
    enrolled_authenticator(tenant_a.agent)
    assert _password(client, tenant_a.agent)["Location"] == "/login/mfa/"
    # when the password holder opens the set-up page instead of typing a code
    response = client.get("/account/mfa/setup/")
    # then they are sent back to the code step and no new seed waits to be confirmed
    assert response.status_code == 302
    assert response["Location"] == "/login/mfa/"
    assert mfa.pending_seed(user=tenant_a.agent) is None
    mfa.start_enrolment(user=tenant_a.agent)  # even with a seed waiting (a set-up left open)
    seed = mfa.pending_seed(user=tenant_a.agent)
    assert seed is not None
    attacker_app = pyotp.TOTP(seed)
    refused = client.post("/account/mfa/setup/", {"code": attacker_app.now()})
    assert refused["Location"] == "/login/mfa/"
    assert SESSION_KEY not in client.session
    assert "user.mfa_enrolled" not in _actions(tenant_a.agent)[1:]


def test_a_set_up_left_unfinished_keeps_the_current_authenticator(client, tenant_a):
    # protects: starting to move to a new phone never disarms the authenticator in use
    totp, _ = enrolled_authenticator(tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)
    assert client.get("/account/mfa/setup/").status_code == 200
    client.logout()
    # the next sign-in still asks for the old app's code, which still works
    assert _password(client, tenant_a.team_lead)["Location"] == "/login/mfa/"
    assert client.post("/login/mfa/", {"code": next_code(totp)}).status_code == 302
    assert client.session[SESSION_KEY] == str(tenant_a.team_lead.pk)


def test_confirming_a_new_phone_replaces_the_old_authenticator(tenant_a):
    # protects: a lost phone stops working once the new one is confirmed
    old, _ = enrolled_authenticator(tenant_a.team_lead)
    new, _ = enrolled_authenticator(tenant_a.team_lead)
    assert mfa.verify(user=tenant_a.team_lead, code=next_code(old)) is None
    assert mfa.verify(user=tenant_a.team_lead, code=next_code(new)) == "totp"


@pytest.mark.parametrize(
    ("enrolled", "step"), [(True, "/login/mfa/"), (False, "/account/mfa/setup/")]
)
def test_a_half_signed_in_session_reaches_only_the_sign_in_steps(client, tenant_a, enrolled, step):
    # protects: a password alone opens no page and no API call
    if enrolled:
        enrolled_authenticator(tenant_a.agent)
    assert _password(client, tenant_a.agent)["Location"] == step
    for page in ("/work/", "/", "/portal/", "/account/mfa/"):
        response = client.get(page)
        assert (response.status_code, response["Location"]) == (302, step), page
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get(step).status_code == 200
    assert client.get("/login/").status_code == 200  # "Start again"
    assert client.post("/logout/").status_code == 302
    assert MFA_PENDING not in client.session


def test_a_half_way_sign_in_is_forgotten_after_five_minutes(client, tenant_a):
    # protects: a password typed on a shared screen does not wait there for a code forever
    totp, _ = enrolled_authenticator(tenant_a.agent)
    _password(client, tenant_a.agent)
    session = client.session
    session[MFA_PENDING] = {**session[MFA_PENDING], "at": time.time() - MFA_PENDING_SECONDS - 1}
    session.save()
    assert client.post("/login/mfa/", {"code": next_code(totp)})["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    assert client.get("/work/")["Location"] == "/login/?next=/work/"


def test_new_recovery_codes_need_a_current_code_and_end_the_old_ones(client, tenant_a):
    # protects: a stolen session cannot mint recovery codes; old codes die on renewal
    totp, old_codes = enrolled_authenticator(tenant_a.client_admin)
    client.force_login(tenant_a.client_admin)
    refused = client.post("/account/mfa/", {"code": "000000"})
    assert refused.status_code == 422
    assert mfa.remaining_recovery_codes(user=tenant_a.client_admin) == mfa.RECOVERY_CODES
    renewed = client.post("/account/mfa/", {"code": next_code(totp)})
    assert renewed.status_code == 200
    new_codes = re.findall(r"<code>([a-z0-9-]+)</code>", renewed.content.decode())
    assert len(set(new_codes)) == mfa.RECOVERY_CODES
    assert mfa.verify(user=tenant_a.client_admin, code=old_codes[0]) is None
    assert mfa.verify(user=tenant_a.client_admin, code=new_codes[0]) == "recovery"
    assert _actions(tenant_a.client_admin) == [
        "user.mfa_enrolled",
        "user.mfa_failed",
        "user.recovery_codes_renewed",
        "user.mfa_failed",
        "user.recovery_code_used",
    ]


def test_each_second_factor_step_of_a_sign_in_is_audited(tenant_a):
    # protects: the audit trail shows wrong codes after a right password, and recovery use
    browser = Client()
    _, codes = enrolled_authenticator(tenant_a.agent)
    _password(browser, tenant_a.agent)
    assert browser.post("/login/mfa/", {"code": "999999"}).status_code == 422
    assert browser.post("/login/mfa/", {"code": codes[3].upper()}).status_code == 302
    assert _actions(tenant_a.agent) == [
        "user.mfa_enrolled",
        "user.mfa_failed",
        "user.recovery_code_used",
        "user.signed_in",
    ]
    with all_clients_scope():
        used = AuditEvent.objects.get(action="user.recovery_code_used")
    assert used.payload == {"remaining": mfa.RECOVERY_CODES - 1}
    assert used.actor_id == tenant_a.agent.pk


def test_the_set_up_page_draws_the_code_without_scripts_or_inline_styles(client, tenant_a):
    # protects: the QR code is server-side SVG that the content security policy allows
    _password(client, tenant_a.client_admin)
    response = client.get("/account/mfa/setup/")
    page = response.content.decode()
    assert page.count("<svg") == 1
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bnonce=)", page) is None
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    seed = mfa.pending_seed(user=tenant_a.client_admin)
    assert seed is not None
    assert " ".join(seed[i : i + 4] for i in range(0, len(seed), 4)) in page
