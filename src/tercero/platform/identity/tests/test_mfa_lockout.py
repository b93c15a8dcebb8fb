"""Signing in: a second factor for staff and client admins, codes that work once,
lockout that an attacker cannot turn against the owner, session and token endings."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity import lockout, mfa
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import PASSWORD, enrolled_authenticator, next_code
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

pytestmark = pytest.mark.mfa


def _password(browser, user, password=PASSWORD, **extra):
    return browser.post("/login/", {"username": user.email, "password": password}, **extra)


def _enrol(user) -> pyotp.TOTP:
    return enrolled_authenticator(user)[0]


def test_a_password_alone_does_not_sign_staff_in(client, tenant_a):
    # protects: MFA for roles that see personal data (a stolen password is not enough)
    response = _password(client, tenant_a.agent)
    assert response.status_code == 302
    assert response["Location"] == "/account/mfa/setup/"
    assert SESSION_KEY not in client.session
    assert client.get("/work/").status_code == 302
    assert client.get("/api/v1/users/me").status_code == 401


def test_first_sign_in_sets_up_the_authenticator_and_shows_recovery_codes(client, tenant_a):
    # protects: enrolment needs a working code from the app; codes shown once
    _password(client, tenant_a.client_admin)
    page = client.get("/account/mfa/setup/").content.decode()
    assert "<svg" in page
    seed = mfa.pending_seed(user=tenant_a.client_admin)
    assert seed is not None
    assert seed.replace(" ", "")[:4] in page
    wrong = client.post("/account/mfa/setup/", {"code": "000000"})
    assert wrong.status_code == 422
    assert SESSION_KEY not in client.session
    done = client.post("/account/mfa/setup/", {"code": pyotp.TOTP(seed).now()})
    assert done.status_code == 200
    assert done.content.decode().count("<code>") == mfa.RECOVERY_CODES
    assert client.session[SESSION_KEY] == str(tenant_a.client_admin.pk)
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="user.mfa_enrolled").count() == 1


def test_a_code_signs_in_once(client, tenant_a):
    # protects: TOTP codes are single use (a shoulder-surfed code cannot be replayed)
    totp = _enrol(tenant_a.team_lead)
    code = next_code(totp)
    with time_machine.travel(timezone.now() + timedelta(seconds=totp.interval)):
        assert _password(client, tenant_a.team_lead)["Location"] == "/login/mfa/"
        assert client.post("/login/mfa/", {"code": "123456"}).status_code == 422
        assert client.post("/login/mfa/", {"code": code}).status_code == 302
        assert SESSION_KEY in client.session
        other = Client()
        _password(other, tenant_a.team_lead)
        assert other.post("/login/mfa/", {"code": code}).status_code == 422
        assert SESSION_KEY not in other.session


def test_a_recovery_code_works_once(client, tenant_a):
    # protects: recovery codes are single use
    seed, _ = mfa.start_enrolment(user=tenant_a.agent)
    codes = mfa.confirm_enrolment(user=tenant_a.agent, code=pyotp.TOTP(seed).now())
    _password(client, tenant_a.agent)
    assert client.post("/login/mfa/", {"code": codes[0]}).status_code == 302
    client.logout()
    _password(client, tenant_a.agent)
    assert client.post("/login/mfa/", {"code": codes[0]}).status_code == 422
    assert mfa.remaining_recovery_codes(user=tenant_a.agent) == mfa.RECOVERY_CODES - 1


def test_the_seed_is_sealed_at_rest(tenant_a):
    # protects: a database dump does not hand out everyone's second factor
    seed, _ = mfa.start_enrolment(user=tenant_a.agent)
    pending = tenant_a.agent.totp_device.pending_secret
    mfa.confirm_enrolment(user=tenant_a.agent, code=pyotp.TOTP(seed).now())
    tenant_a.agent.totp_device.refresh_from_db()
    for stored in (pending, tenant_a.agent.totp_device.secret):
        assert seed not in stored
        assert stored.startswith("gen1:")


def test_ten_failures_lock_the_account_for_thirty_minutes(client, tenant_a):
    # protects: password guessing (PCI DSS 8.3.4: at most 10 tries, locked 30 minutes)
    for _ in range(lockout.MAX_FAILURES):
        assert _password(client, tenant_a.client_user, "wrong password!!").status_code == 200
    refused = _password(client, tenant_a.client_user)
    assert refused.status_code == 403
    assert "Too many attempts; try again after" in refused.content.decode()
    assert SESSION_KEY not in client.session
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="user.locked_out").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=lockout.LOCK_MINUTES + 1)):
        assert _password(client, tenant_a.client_user).status_code == 302


def test_the_owners_known_browser_still_signs_in_during_a_lockout(tenant_a, settings):
    # protects: availability - an attacker cannot lock the owner out of their own browser
    owner = Client()
    assert _password(owner, tenant_a.client_user).status_code == 302  # known from now on
    del owner.cookies[settings.SESSION_COOKIE_NAME]  # signed out; the browser stays known
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(lockout.MAX_FAILURES):
        _password(attacker, tenant_a.client_user, "guess guess guess", REMOTE_ADDR="203.0.113.9")
    assert _password(attacker, tenant_a.client_user, REMOTE_ADDR="203.0.113.9").status_code == 403
    assert _password(owner, tenant_a.client_user).status_code == 302
    assert SESSION_KEY in owner.session


def test_one_address_guessing_many_accounts_gets_429(client, tenant_a, tenant_b):
    # protects: credential stuffing from one source
    people = [tenant_a.client_user, tenant_a.client_admin, tenant_b.client_user]
    for n in range(lockout.IP_MAX_FAILURES + 1):
        _password(client, people[n % 3], "not the password")
    refused = _password(client, tenant_b.client_admin)
    assert refused.status_code == 429
    assert SESSION_KEY not in client.session
    assert _password(Client(REMOTE_ADDR="198.51.100.7"), tenant_b.client_admin).status_code == 302


def test_wrong_second_factor_codes_count_toward_the_lock(client, tenant_a):
    # protects: guessing the 6-digit code after a stolen password
    _enrol(tenant_a.agent)
    _password(client, tenant_a.agent)
    for _ in range(lockout.MAX_FAILURES):
        client.post("/login/mfa/", {"code": "000000"})
    assert client.post("/login/mfa/", {"code": "000000"}).status_code == 403


def test_a_session_ends_after_its_absolute_lifetime(client, tenant_a, settings):
    # protects: a session kept alive forever by a busy (or hijacked) browser
    client.force_login(tenant_a.client_user)
    start = timezone.now()
    busy = timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60)
    moment = start
    while moment < start + timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS - 60):
        with time_machine.travel(moment):
            assert client.get("/portal/").status_code == 200
        moment += busy
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS + 60)):
        assert client.get("/portal/").status_code == 302
        assert SESSION_KEY not in client.session


def test_a_password_change_ends_tokens_made_before_it(client, tenant_a):
    # protects: a leaked token dies with the password change that follows the leak
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.client_admin, client=tenant_a.client, name="ci", scopes=["work:read"]
        )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert client.get("/api/v1/users/me", **auth).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=1)), all_clients_scope():
        tenant_a.client_admin.set_password("a brand new long passphrase")
        tenant_a.client_admin.save()
        assert client.get("/api/v1/users/me", **auth).status_code == 401


def test_a_deactivated_person_loses_sessions_and_tokens(client, tenant_a):
    # protects: leavers (disabling an account ends every way in at once)
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.client_user, client=tenant_a.client, name="ci", scopes=["work:read"]
        )
    client.force_login(tenant_a.client_user)
    tenant_a.client_user.is_active = False
    with all_clients_scope():
        tenant_a.client_user.save()
    assert client.get("/portal/").status_code == 302
    assert client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "tercero-rocks-2026", "acme-co-is-great"]
)
def test_common_and_context_passwords_are_refused(client, tenant_a, password):
    # protects: guessable passwords (breached list offline, product name, own e-mail)
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, tenant_a.client_admin)
