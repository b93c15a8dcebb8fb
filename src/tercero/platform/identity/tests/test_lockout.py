"""Lockout and address limits: how long they last, what they say, and that an attacker
can neither stretch them nor learn from them."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.utils import timezone

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity import lockout
from tercero.platform.identity.models import SignInAttempt
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope

pytestmark = pytest.mark.mfa

WRONG = "not the password at all"


def _sign_in(email, password, address="192.0.2.10"):
    browser = Client(REMOTE_ADDR=address)
    return browser, browser.post("/login/", {"username": email, "password": password})


def _refusal_text(until) -> str:
    return f"Too many attempts; try again after {until:%H:%M} UTC."


def test_a_lock_lasts_thirty_minutes_from_the_tenth_failure(tenant_a):
    # protects: the lock's length (PCI DSS 8.3.4: at least 30 minutes), however slow the guessing
    email = tenant_a.client_user.email
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        for _ in range(lockout.MAX_FAILURES - 1):
            _sign_in(email, WRONG)
    tenth = start + timedelta(minutes=20)
    with time_machine.travel(tenth, tick=False):
        _sign_in(email, WRONG)
    with time_machine.travel(tenth + timedelta(minutes=lockout.LOCK_MINUTES - 1), tick=False):
        _, refused = _sign_in(email, PASSWORD)
        assert refused.status_code == 403
        assert _refusal_text(tenth + timedelta(minutes=30)) in refused.content.decode()
    with time_machine.travel(tenth + timedelta(minutes=lockout.LOCK_MINUTES + 1), tick=False):
        browser, response = _sign_in(email, PASSWORD)
        assert response.status_code == 302
        assert SESSION_KEY in browser.session


def test_attempts_refused_during_a_lock_do_not_stretch_it(tenant_a):
    # protects: the owner gets in when the message said, even while guessing goes on
    email = tenant_a.client_user.email
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        for n in range(lockout.MAX_FAILURES):
            _sign_in(email, WRONG, address=f"198.51.100.{n}")
    for minute in range(1, lockout.LOCK_MINUTES):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert _sign_in(email, WRONG, address=f"203.0.113.{minute}")[1].status_code == 403
    with time_machine.travel(start + timedelta(minutes=lockout.LOCK_MINUTES), tick=False):
        assert _sign_in(email, PASSWORD)[1].status_code == 302
    refused = SignInAttempt.objects.filter(account=email, was_refused=True)
    assert refused.count() == lockout.LOCK_MINUTES - 1
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="user.locked_out").count() == 1


def test_an_unknown_address_locks_and_reads_exactly_like_a_real_one(tenant_a):
    # protects: the lock message never tells whether an e-mail address has an account
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        pages = []
        for email in (tenant_a.client_user.email, "nobody@acme-co.example"):
            for _ in range(lockout.MAX_FAILURES):
                _sign_in(email, WRONG)
            _, refused = _sign_in(email, PASSWORD)
            pages.append(
                (
                    refused.status_code,
                    refused.content.decode().count(
                        _refusal_text(now + timedelta(minutes=lockout.LOCK_MINUTES))
                    ),
                )
            )
    assert pages == [(403, 1), (403, 1)]


def test_signing_in_starts_the_count_again(tenant_a):
    # protects: the owner's own typing mistakes, spread over a day, never add up to a lock
    email = tenant_a.client_user.email
    for _ in range(2):
        for _ in range(lockout.MAX_FAILURES - 1):
            _sign_in(email, WRONG)
        assert _sign_in(email, PASSWORD)[1].status_code == 302
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action="user.locked_out").exists()


def test_the_lock_is_audited_once_with_the_person(tenant_a):
    # protects: the audit trail records who was locked, from which kind of browser
    for _ in range(lockout.MAX_FAILURES + 3):
        _sign_in(tenant_a.client_admin.email, WRONG)
    with all_clients_scope():
        event = AuditEvent.objects.get(action="user.locked_out")
    assert event.object_type == "user"
    assert event.object_id == str(tenant_a.client_admin.pk)
    assert event.payload == {"known_device": False, "minutes": lockout.LOCK_MINUTES}


def test_the_owners_known_browser_has_its_own_count(tenant_a, settings):
    # protects: the known-device cookie is not a way around the lock for whoever holds it
    owner, response = _sign_in(tenant_a.client_user.email, PASSWORD)
    assert response.status_code == 302
    del owner.cookies[settings.SESSION_COOKIE_NAME]  # signed out; the browser stays known
    for _ in range(lockout.MAX_FAILURES):
        owner.post("/login/", {"username": tenant_a.client_user.email, "password": WRONG})
    refused = owner.post("/login/", {"username": tenant_a.client_user.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert _sign_in(tenant_a.client_user.email, PASSWORD)[1].status_code == 302


def test_a_forged_known_device_cookie_counts_as_an_unknown_browser(tenant_a, settings):
    # protects: the cookie is signed; a made-up one does not escape the lock
    for _ in range(lockout.MAX_FAILURES):
        _sign_in(tenant_a.client_user.email, WRONG)
    browser = Client(REMOTE_ADDR="192.0.2.99")
    browser.cookies[lockout.DEVICE_COOKIE] = "eyJhY21lIjoiMSJ9:forged:signature"
    response = browser.post(
        "/login/", {"username": tenant_a.client_user.email, "password": PASSWORD}
    )
    assert response.status_code == 403


def test_an_address_is_refused_for_fifteen_minutes_from_the_failure_that_crossed_the_line(
    tenant_a, tenant_b
):
    # protects: credential stuffing from one address, for the advertised time and no longer
    people = [tenant_a.client_user, tenant_a.client_admin, tenant_b.client_user]
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        for n in range(lockout.IP_MAX_FAILURES):
            _sign_in(people[n % 3].email, WRONG)
    crossed = start + timedelta(minutes=10)
    with time_machine.travel(crossed, tick=False):
        _sign_in(tenant_b.client_admin.email, WRONG)  # the 31st within 15 minutes
    with time_machine.travel(crossed + timedelta(minutes=14), tick=False):
        browser, refused = _sign_in(tenant_b.client_admin.email, PASSWORD)
        assert refused.status_code == 429
        assert _refusal_text(crossed + timedelta(minutes=15)) in refused.content.decode()
        assert SESSION_KEY not in browser.session
    with time_machine.travel(crossed + timedelta(minutes=16), tick=False):
        assert _sign_in(tenant_b.client_admin.email, PASSWORD)[1].status_code == 302


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(tenant_a, settings):
    # protects: one guesser behind the reverse proxy cannot get everyone behind it a 429
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(lockout.IP_MAX_FAILURES + 1):
        Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66").post(
            "/login/", {"username": f"guess{n}@acme-co.example", "password": WRONG}
        )
    # a forged header from the guesser names the last hop our proxy wrote
    forged = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.5, 203.0.113.66")
    assert (
        forged.post("/login/", {"username": "x@acme-co.example", "password": WRONG}).status_code
        == 429
    )
    colleague = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.5")
    response = colleague.post(
        "/login/", {"username": tenant_a.client_user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    # an untrusted peer's header is ignored: the peer itself is counted
    direct = RequestFactory().post(
        "/login/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert lockout.client_ip(direct) == "192.0.2.1"
