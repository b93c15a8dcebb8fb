"""The contacts API as agents, team leads and clients' users meet it."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tercero.delivery.contact.models import ContactVerification
from tercero.delivery.contact.services import MAX_WRONG_CODES
from tercero.delivery.contact.tests.factories import outbound, verification_page
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

JSON = "application/json"
CUSTOMER = "jane.doe@example.org"


def post(client, url, body=None):
    return client.post(url, data=body or {}, content_type=JSON)


def _code_in(message) -> str:
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None
    return found[1]


def _verifications(*clients):
    with client_scope(clients=list(clients)):
        return list(ContactVerification.objects.values_list("id", "status", "wrong_attempts"))


def _audited(action: str) -> list[AuditEvent]:
    with all_clients_scope():
        return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _audit_count(**filters) -> int:
    with all_clients_scope():
        return AuditEvent.objects.filter(**filters).count()


def test_an_agent_gets_a_code_to_tell_the_customer(client, tenant_a, maria):
    # Threat: agents call customers with nothing a customer can check.
    # given
    verification_page(tenant_a.client, slug="acme")
    client.force_login(maria)

    # when
    issued = post(
        client,
        "/api/v1/contacts/outbound",
        {"client_id": tenant_a.client.pk, "channel": "sms", "contact": "+1 (555) 010-1234"},
    )

    # then
    assert issued.status_code == 201
    body = issued.json()
    assert re.fullmatch(r"\d{6}", body["code"])
    assert body["verify_url"] == "http://testserver/verify/acme/"
    assert body["contact_shown"] == "•••• 234"
    assert body["state"] == "active"
    assert body["agent_name"] == "Maria Santos"
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(minutes=10)
    [event] = _audited("contact.outbound_issued")
    assert event.actor_id == maria.pk
    assert body["code"] not in str(event.payload)


def test_a_new_code_for_the_same_contact_ends_the_older_one(client, tenant_a, maria):
    # Threat: a stale code from an earlier contact stays valid next to the new one.
    # given
    verification_page(tenant_a.client, slug="acme")
    first, _ = outbound(maria, tenant_a.client)

    # when
    second, _ = outbound(maria, tenant_a.client, contact="1 555 010 1234")

    # then
    with client_scope(clients=[tenant_a.client]):
        first.refresh_from_db()
    assert (first.status, first.outcome) == ("ended", "superseded")
    assert second.status == "active"


def test_the_agent_ends_a_contact_and_its_code_stops_working(client, tenant_a, maria):
    # Threat: a code keeps vouching for "the provider" after the genuine call is over.
    # given
    verification_page(tenant_a.client, slug="acme")
    verification, code = outbound(maria, tenant_a.client)
    client.force_login(maria)

    # when
    ended = post(client, f"/api/v1/contacts/outbound/{verification.pk}/end")
    client.logout()
    page = client.post("/verify/acme/", {"contact": "+1 555 010 1234", "code": code})

    # then
    assert ended.json()["state"] == "ended"
    assert "No one from Acme is contacting you right now" in page.content.decode()


def test_a_client_user_may_not_issue_codes(client, tenant_a):
    # Threat: a client's own staff (or a stolen client login) issue codes that vouch for
    # the provider.
    for person in (tenant_a.client_user, tenant_a.client_admin):
        # given
        client.force_login(person)

        # when
        refused = post(
            client,
            "/api/v1/contacts/outbound",
            {"client_id": tenant_a.client.pk, "channel": "call", "contact": "+15550101234"},
        )
        also = post(
            client,
            "/api/v1/contacts/inbound",
            {"client_id": tenant_a.client.pk, "email": CUSTOMER},
        )
        page = client.get("/work/contact/")

        # then
        assert refused.status_code == 403
        assert also.status_code == 403
        assert page.status_code == 404
    assert _verifications(tenant_a.client) == []
    assert len(mail.outbox) == 0
    assert _audit_count(action__startswith="contact.") == 0


def test_another_clients_verifications_are_404_and_stay_untouched(
    client, tenant_a, tenant_b, maria
):
    # Threat: an agent of one client ends, reads or confirms another client's codes.
    # given
    verification_page(tenant_b.client, slug="bergmann", display_name="Bergmann")
    b_outbound, _ = outbound(tenant_b.agent, tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        from tercero.delivery.contact import services

        b_inbound = services.send_caller_code(
            actor=tenant_b.agent, client_id=tenant_b.client.pk, email=CUSTOMER, now=timezone.now()
        )
    code = _code_in(mail.outbox[0])
    before = _verifications(tenant_b.client)
    audit_before = _audit_count()
    client.force_login(maria)

    # when
    answers = [
        client.get(f"/api/v1/contacts/verifications/{b_outbound.pk}"),
        post(client, f"/api/v1/contacts/outbound/{b_outbound.pk}/end"),
        post(client, f"/api/v1/contacts/inbound/{b_inbound.pk}/confirm", {"code": code}),
        post(
            client,
            "/api/v1/contacts/outbound",
            {"client_id": tenant_b.client.pk, "channel": "call", "contact": "+15550101234"},
        ),
        client.get(f"/work/contact/{b_inbound.pk}/"),
    ]
    listed = client.get("/api/v1/contacts/verifications").json()["results"]

    # then
    assert [answer.status_code for answer in answers] == [404] * 5
    assert listed == []
    assert _verifications(tenant_b.client) == before
    assert _audit_count() == audit_before


def test_a_callers_code_is_emailed_and_confirmed(client, tenant_a, maria):
    # Threat: a crook calls in as the customer; only the holder of the mailbox on record
    # can read the code back.
    # given
    client.force_login(maria)
    started = post(
        client, "/api/v1/contacts/inbound", {"client_id": tenant_a.client.pk, "email": CUSTOMER}
    )
    [message] = mail.outbox
    code = _code_in(message)

    # when
    confirmed = post(
        client, f"/api/v1/contacts/inbound/{started.json()['id']}/confirm", {"code": code}
    )

    # then
    assert started.status_code == 201
    assert "code" not in started.json()
    assert started.json()["contact_shown"] == "j•••@e•••"
    assert message.to == [CUSTOMER]
    assert "Acme Retail Inc" in message.subject
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    [event] = _audited("contact.caller_verified")
    assert event.client_id == tenant_a.client.pk
    again = post(client, f"/api/v1/contacts/inbound/{started.json()['id']}/confirm", {"code": code})
    assert again.status_code == 409


def test_five_wrong_codes_end_a_callers_check(client, tenant_a, maria):
    # Threat: a crook on the line guesses the code until one fits.
    # given
    client.force_login(maria)
    started = post(
        client, "/api/v1/contacts/inbound", {"client_id": tenant_a.client.pk, "email": CUSTOMER}
    )
    code = _code_in(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    url = f"/api/v1/contacts/inbound/{started.json()['id']}/confirm"

    # when
    tries = [post(client, url, {"code": wrong}) for _ in range(MAX_WRONG_CODES)]
    right_too_late = post(client, url, {"code": code})

    # then
    assert [t.status_code for t in tries] == [422, 422, 422, 422, 409]
    assert tries[0].json()["error"]["message"] == "That code is wrong; 4 tries left."
    assert tries[-1].json()["error"]["code"] == "too_many_wrong_codes"
    assert right_too_late.status_code == 409
    assert _verifications(tenant_a.client) == [(started.json()["id"], "failed", MAX_WRONG_CODES)]
    [failed] = _audited("contact.caller_failed")
    assert failed.payload["outcome"] == "too_many_wrong_codes"
    assert _audited("contact.caller_verified") == []


def test_a_callers_code_expires_after_ten_minutes(client, tenant_a, maria):
    # Threat: a code read from an old e-mail proves nothing about who is calling now.
    # given
    client.force_login(maria)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        started = post(
            client,
            "/api/v1/contacts/inbound",
            {"client_id": tenant_a.client.pk, "email": CUSTOMER},
        )
    code = _code_in(mail.outbox[0])

    # when
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        late = post(
            client, f"/api/v1/contacts/inbound/{started.json()['id']}/confirm", {"code": code}
        )

    # then
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "expired"
    [failed] = _audited("contact.caller_failed")
    assert failed.payload["outcome"] == "expired"


def test_an_address_not_on_the_items_record_is_refused(client, tenant_a, maria):
    # Threat: the caller dictates their own address, so the code proves nothing.
    # given
    from tests.factories import engagement_for

    from tercero.delivery.work import services as work
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.security.crypto import lookup_hash

    engagement = engagement_for(tenant_a.client, name="Keying", status="live")
    with client_scope(clients=[tenant_a.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="capture.document",
            payload={"document_ref": "INV-1", "fields_total": 4},
        )
        # the customer's address as the item's record holds it: a keyed hash
        WorkItem.objects.filter(pk=item.pk).update(
            subject_keys=[lookup_hash(tenant_a.client.pk, CUSTOMER)]
        )
    client.force_login(maria)

    # when
    dictated = post(
        client,
        "/api/v1/contacts/inbound",
        {"work_item_id": item.pk, "email": "crook@example.net"},
    )
    on_record = post(
        client,
        "/api/v1/contacts/inbound",
        {"work_item_id": item.pk, "email": "Jane.Doe@example.org"},
    )

    # then
    assert dictated.status_code == 422
    assert dictated.json()["error"]["fields"] == {"email": "not on record"}
    assert on_record.status_code == 201
    assert on_record.json()["work_item_id"] == item.pk
    assert [m.to for m in mail.outbox] == [[CUSTOMER]]


def test_a_mail_server_failure_leaves_no_live_code(client, tenant_a, maria, settings):
    # Threat: a code that never reached the customer stays live for someone else to use.
    # given
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2, "use_tls": False},
        }
    }
    client.force_login(maria)

    # when
    failed = post(
        client, "/api/v1/contacts/inbound", {"client_id": tenant_a.client.pk, "email": CUSTOMER}
    )

    # then
    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == "not_sent"
    [(_, status, _)] = _verifications(tenant_a.client)
    assert status == "ended"
    assert len(_audited("contact.caller_code_unsent")) == 1


def test_team_leads_find_a_contact_by_its_exact_number(client, tenant_a, maria):
    # Threat: a lead cannot tell whether a reported "call from us" was genuine.
    # given
    verification_page(tenant_a.client, slug="acme")
    outbound(maria, tenant_a.client, contact="+1 555 010 1234")
    outbound(maria, tenant_a.client, contact="+1 555 010 5678")
    client.force_login(tenant_a.team_lead)

    # when
    found = client.get("/api/v1/contacts/verifications?contact=555-010-1234").json()["results"]
    page = client.get("/work/contact/recent/", {"q": "(555) 010-5678"}).content.decode()

    # then
    assert [row["contact_shown"] for row in found] == ["•••• 234"]
    assert "•••• 678" in page
    assert "•••• 234" not in page


@pytest.mark.postgres
def test_row_level_security_hides_another_clients_codes(tenant_a, tenant_b, maria):
    # Threat: a query that forgets its client filter reads another client's contacts.
    # given
    verification_page(tenant_a.client, slug="acme")
    verification_page(tenant_b.client, slug="bergmann", display_name="Bergmann")
    outbound(maria, tenant_a.client)
    outbound(tenant_b.agent, tenant_b.client)

    # when
    from django.db import connection

    with client_scope(clients=[tenant_a.client]), connection.cursor() as cursor:
        cursor.execute("SELECT client_id FROM contact_contactverification")
        seen = {row[0] for row in cursor.fetchall()}

    # then
    assert seen == {tenant_a.client.pk}
    with all_clients_scope():
        assert ContactVerification.objects.count() == 2
