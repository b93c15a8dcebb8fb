"""A client's signed audit checkpoints reach that client only: on its portal page, as a
download, and as an `audit.checkpoint.signed` event to its webhooks."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import timezone

from tercero.delivery.work import outbox, webhooks
from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
from tercero.platform.audit import keys
from tercero.platform.audit.checkpoints import CHECKPOINT_SIGNED, Checkpoint
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record, write_checkpoints
from tercero.platform.security.keyring import unb64
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def signed(settings, tmp_path, tenant_a, tenant_b):
    """Events of both clients, then a round of checkpoints: (A's, B's)."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    record(action="test.thing.happened", client=tenant_a.client)
    record(action="test.thing.happened", client=tenant_a.client)
    record(action="test.thing.happened", client=tenant_b.client)
    _, a_checkpoint, b_checkpoint = write_checkpoints(now=timezone.now())
    return a_checkpoint, b_checkpoint


def _verifies(line: dict) -> bool:
    public_key = keys.public_keys()[line["signing_key_id"]]
    key = Ed25519PublicKey.from_public_bytes(unb64(keys.public_key_text(public_key)))
    message = json.dumps(
        {name: value for name, value in line.items() if name != "signature"},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    key.verify(unb64(line["signature"]), message)
    return True


def test_a_client_admin_sees_only_their_own_clients_checkpoints(client, tenant_a, signed):
    # given
    a_checkpoint, b_checkpoint = signed
    client.force_login(tenant_a.client_admin)

    # when
    response = client.get("/portal/audit/")

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Download all 1 checkpoint (JSON lines)" in page
    assert f'<td data-label="Event">#{a_checkpoint.sequence}</td>' in page
    assert f"#{b_checkpoint.sequence}<" not in page
    assert f"<code>{a_checkpoint.signing_key_id}</code>" in page


def test_the_download_holds_the_clients_own_lines_as_signed(client, tenant_a, signed):
    # given
    a_checkpoint, _ = signed
    client.force_login(tenant_a.client_admin)

    # when
    response = client.get("/portal/audit/?download=jsonl")

    # then
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="audit-checkpoints.jsonl"'
    assert response.content.decode() == a_checkpoint.line() + "\n"
    line = json.loads(response.content)
    assert (line["client_id"], line["sequence"], line["count"]) == (tenant_a.client.pk, 2, 2)
    assert _verifies(line)


def test_the_checkpoint_page_is_for_client_admins_only(client, tenant_a, signed):
    client.force_login(tenant_a.client_user)
    assert client.get("/portal/audit/").status_code == 403
    client.force_login(tenant_a.team_lead)
    assert client.get("/portal/audit/").status_code == 404


def test_a_clients_checkpoint_goes_to_its_own_webhooks_only(tenant_a, tenant_b, signed):
    # given
    a_checkpoint, b_checkpoint = signed
    with all_clients_scope():
        endpoint_a = WebhookEndpoint.objects.create(
            client=tenant_a.client, url="https://hooks.example.com/a", secret="s"
        )
        WebhookEndpoint.objects.create(
            client=tenant_b.client, url="https://hooks.example.com/b", secret="s"
        )

    # when
    outbox.consume("webhooks")

    # then
    with all_clients_scope():
        events = list(WorkEvent.objects.filter(kind=CHECKPOINT_SIGNED).order_by("id"))
        to_a = list(WebhookDelivery.objects.filter(endpoint=endpoint_a).select_related("event"))
    assert [(e.client_id, e.engagement_id, e.item_id) for e in events] == [
        (tenant_a.client.pk, None, None),
        (tenant_b.client.pk, None, None),
    ]
    assert [Checkpoint.model_validate(e.data) for e in events] == [a_checkpoint, b_checkpoint]
    assert [delivery.event for delivery in to_a] == [events[0]]
    body = json.loads(webhooks.body_of(events[0]))
    assert (body["kind"], body["client_id"]) == ("audit.checkpoint.signed", tenant_a.client.pk)
    assert body["data"] == json.loads(a_checkpoint.line())
    assert _verifies(body["data"])


def test_a_checkpoint_event_does_not_join_the_chain_it_pins(tenant_a, signed):
    # given
    with all_clients_scope():
        before = AuditEvent.objects.count()

    # when
    handled = outbox.consume("audit")

    # then
    assert handled == 2
    with all_clients_scope():
        assert AuditEvent.objects.count() == before
