"""Personal data in work items: sealed at rest, masked in every output, revealed only
with a reason for a few minutes, card numbers cut on the way in, keys rotated."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tercero.delivery.work import services
from tercero.delivery.work.models import Comment, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.security.models import DataKey
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

JSON = "application/json"
PERSON = {
    "customer_name": "Maria Santos",
    "customer_national_id": "QQ123456C",
    "customer_date_of_birth": "1984-03-17",
    "customer_iban": "DE89370400440532013000",
}


@pytest.fixture
def document(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Keying")
    queue = make_queue(engagement, name="Forms", work_types=["capture.document"])
    item = add_item(
        queue,
        work_type="capture.document",
        payload={"document_ref": "PO-1", "fields_total": 3, **PERSON},
    )
    return queue, item


def _raw_payload(item_id: int) -> str:
    """The payload column as the database holds it (raw SQL: no model decoding)."""
    with all_clients_scope(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM work_workitem WHERE id = %s", [item_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def test_personal_fields_are_stored_sealed(document):
    # protects: national ids, bank accounts, dates of birth at rest
    _, item = document
    raw = _raw_payload(item.pk)
    for value in PERSON.values():
        assert value not in raw
    assert raw.count("enc1:") == 4


def test_the_api_shows_masks_and_never_the_values(client, tenant_a, document):
    # protects: masking by default in API responses
    _, item = document
    client.force_login(tenant_a.team_lead)
    body = client.get(f"/api/v1/work-items/{item.pk}").content.decode()
    for value in PERSON.values():
        assert value not in body
    data = json.loads(body)
    assert data["payload"]["customer_iban"] == "•••• 3000"
    assert data["payload"]["customer_name"] == "M••• S•••"
    assert "enc1:" not in body


def test_reveal_needs_a_reason_and_a_permitted_role(client, tenant_a, document):
    # protects: reveal only by permitted roles, with a reason, audited
    _, item = document
    url = f"/api/v1/work-items/{item.pk}/reveal"
    qa = UserFactory.create(role=Role.QA_ANALYST)
    with client_scope(clients=[tenant_a.client]):
        qa.grants.create(client=tenant_a.client)
    client.force_login(qa)
    assert client.post(url, {"reason": "checking quality"}, content_type=JSON).status_code == 403
    client.force_login(tenant_a.team_lead)
    assert client.post(url, {"reason": ""}, content_type=JSON).status_code == 422
    shown = client.post(url, {"reason": "customer on the phone"}, content_type=JSON)
    assert shown.status_code == 200
    assert shown.json()["fields"] == PERSON
    with all_clients_scope():
        event = AuditEvent.objects.filter(action="work_item.revealed").get()
    assert event.reason == "customer on the phone"
    assert event.actor_id == tenant_a.team_lead.pk
    assert "QQ123456C" not in json.dumps(event.payload)


def test_a_reveal_ends_after_its_time(client, tenant_a, document, settings):
    # protects: reveals are time-limited (five minutes by default)
    _, item = document
    client.force_login(tenant_a.team_lead)
    again = f"/api/v1/work-items/{item.pk}/personal"
    assert client.get(again).status_code == 403
    client.post(
        f"/api/v1/work-items/{item.pk}/reveal",
        {"reason": "customer on the phone"},
        content_type=JSON,
    )
    assert client.get(again).json()["fields"]["customer_national_id"] == "QQ123456C"
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.REVEAL_SECONDS + 1)):
        client.force_login(tenant_a.team_lead)
        assert client.get(again).status_code == 403


def test_the_item_page_masks_and_reveals_with_a_reason(client, tenant_a, document):
    # protects: masking by default on pages; reveal shown only after a reason
    _, item = document
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    for value in PERSON.values():
        assert value not in page
    assert "•••• 3000" in page
    shown = client.post(f"/work/items/{item.pk}/reveal/", {"reason": "customer called"})
    assert "QQ123456C" in shown.content.decode()
    assert "data-hide-at" in shown.content.decode()


def test_card_numbers_in_notes_titles_and_payloads_are_cut(tenant_a, document):
    # protects: PCI DSS 3.3 - full card numbers never stored, even in free text
    queue, item = document
    with client_scope(clients=[tenant_a.client]):
        note = services.comment(
            actor=tenant_a.team_lead, item=item, body="card 4111-1111-1111-1111 read out"
        )
        other = add_item(
            queue,
            work_type="capture.document",
            title="Refund to 5500 0000 0000 0004",
            payload={"document_ref": "PO-2 card 4012888888881881", "fields_total": 1},
        )
        stored = Comment.objects.get(pk=note.pk).body
        again = WorkItem.objects.get(pk=other.pk)
    assert stored == "card [card ••••1111] read out"
    assert "5500 0000 0000 0004" not in again.title
    assert "4012888888881881" not in _raw_payload(other.pk)
    assert "[card ••••1881]" in again.payload["document_ref"]


def test_an_edit_keeps_personal_fields_sent_back_as_masks(client, tenant_a, document):
    # protects: an edit through the API cannot wipe or leak sealed values
    _, item = document
    client.force_login(tenant_a.team_lead)
    shown = client.get(f"/api/v1/work-items/{item.pk}").json()
    payload = {**shown["payload"], "fields_keyed": 2}
    response = client.patch(
        f"/api/v1/work-items/{item.pk}",
        {"version": shown["version"], "payload": payload},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    with client_scope(clients=[tenant_a.client]):
        values, _ = services.reveal(
            actor=tenant_a.team_lead, item=WorkItem.objects.get(pk=item.pk), reason="check edit"
        )
    assert values == PERSON


def test_keys_rotate_reencrypt_and_retire(tenant_a, document):
    # protects: key rotation (old keys readable until retired; nothing lost)
    _, item = document
    out = io.StringIO()
    call_command("keys", "rotate", "--client", str(tenant_a.client.pk), "--wait", stdout=out)
    assert "key v2 active, 4 re-sealed" in out.getvalue()
    call_command("keys", "status", stdout=out)
    assert f"client {tenant_a.client.pk}: v1 readable" in out.getvalue()
    call_command("keys", "retire", "--client", str(tenant_a.client.pk), stdout=out)
    assert f"client {tenant_a.client.pk}: v1" in out.getvalue()
    with client_scope(clients=[tenant_a.client]):
        old = DataKey.objects.get(client=tenant_a.client, purpose="data", version=1)
        assert old.state == "retired"
        assert old.wrapped == ""
        values, _ = services.reveal(
            actor=tenant_a.team_lead, item=WorkItem.objects.get(pk=item.pk), reason="after"
        )
    assert values == PERSON
    assert ":2:" in _raw_payload(item.pk)


def test_a_key_still_in_use_is_not_retired(tenant_a, document):
    # protects: retiring a key before re-encryption would destroy data
    from tercero.platform.errors import InvalidInput
    from tercero.platform.security import services as security

    with client_scope(clients=[tenant_a.client]):
        security.rotate_keys(actor=None, client_id=tenant_a.client.pk)
        with pytest.raises(InvalidInput, match="still seals 4 values"):
            security.retire_keys(actor=None, client_id=tenant_a.client.pk)


def test_the_client_portal_masks_personal_fields_too(client, tenant_a, document):
    # protects: masking by default on client pages (a client user is not a reveal role)
    _, item = document
    client.force_login(tenant_a.client_user)
    page = client.get(f"/portal/items/{item.pk}/").content.decode()
    assert "PO-1" in page
    for value in PERSON.values():
        assert value not in page
    assert "•••• 3000" in page
    assert "enc1:" not in page
