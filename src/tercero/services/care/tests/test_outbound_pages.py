"""Mail per client brand on pages: the mailbox's sender and signature set on its set-up
page (the HTML signature sanitised), its domain's DKIM key made there with the DNS record
to publish, signing started and retired; who may (care:setup, own clients only); and an
agent's HTML reply with a copy and a file from the ticket's panel."""

import email
import email.policy

import pytest
from django.core import mail as outbox
from django.core.files.uploadedfile import SimpleUploadedFile

from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import inbound
from tercero.services.care.models import Mailbox, SigningKey
from tercero.services.care.tests.test_inbound import PDF, mail


@pytest.fixture
def box(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Acme care")
    queue = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        return Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )


def _form(box, **changes) -> dict:
    return {
        "address": box.address,
        "queue_id": box.queue_id,
        "work_type": "care.ticket",
        "is_active": "on",
        "imap_port": "993",
        "imap_folder": "INBOX",
        **changes,
    }


def _keys() -> list[SigningKey]:
    with all_clients_scope():
        return list(SigningKey.objects.order_by("id"))


def test_the_sender_and_signature_are_set_on_the_mailbox_page_with_the_html_sanitised(
    client, box, manager
):
    client.force_login(manager)
    saved = client.post(
        f"/care/mailboxes/{box.pk}/",
        _form(
            box,
            sender_name="Acme  Support",
            sender_address="Support@Acme.example",
            signature_text="Acme Support",
            signature_html='<p><b>Acme</b> <a href="https://acme.example">site</a>'
            '<img src="https://t.example/p.gif"><script>x()</script></p>',
        ),
        follow=True,
    )
    assert saved.status_code == 200
    with all_clients_scope():
        box.refresh_from_db()
    assert (box.sender_name, box.sender_address, box.signature_text) == (
        "Acme Support",
        "support@acme.example",
        "Acme Support",
    )
    assert box.signature_html == '<p><b>Acme</b> <a href="https://acme.example">site</a></p>'
    refused = client.post(f"/care/mailboxes/{box.pk}/", _form(box, sender_address="not mail"))
    assert "Enter a valid email address." in refused.content.decode()


def test_a_dkim_key_is_made_on_the_page_its_record_shown_then_signing_started(client, box, manager):
    # given the mailbox sends as support@acme.example
    client.force_login(manager)
    client.post(f"/care/mailboxes/{box.pk}/", _form(box, sender_address="support@acme.example"))
    page = client.get(f"/care/mailboxes/{box.pk}/").content.decode()
    assert "DKIM signing for acme.example" in page
    assert "No signing key yet" in page
    # when a key is made with the selector tercero2026
    made = client.post(
        f"/care/mailboxes/{box.pk}/signing/",
        {"action": "make", "selector": "tercero2026"},
        follow=True,
    )
    [key] = _keys()
    shown = made.content.decode()
    # then the page shows the record to publish, and the key waits for it
    assert "Signing key made. Publish its DNS record" in shown
    assert 'value="tercero2026._domainkey.acme.example"' in shown
    assert f"v=DKIM1; k=rsa; p={key.public_key}" in shown
    assert "PRIVATE" not in shown
    assert key.status == SigningKey.Status.PENDING
    # when signing starts
    started = client.post(
        f"/care/mailboxes/{box.pk}/signing/", {"action": "start", "key": key.pk}, follow=True
    )
    assert "now signed with the new key" in started.content.decode()
    assert [k.status for k in _keys()] == [SigningKey.Status.ACTIVE]
    # a bad selector is refused in words and makes nothing
    bad = client.post(
        f"/care/mailboxes/{box.pk}/signing/", {"action": "make", "selector": "no way"}, follow=True
    )
    assert "letters, digits and hyphens" in bad.content.decode()
    assert len(_keys()) == 1


def test_only_desk_set_up_people_of_the_client_reach_its_signing_keys(
    client, box, tenant_a, tenant_b
):
    # an agent of the client (no care:setup), and a delivery manager of another client
    outsider = UserFactory(email="dm@other.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        Grant.objects.create(user=outsider, client=tenant_b.client, reason="manages Bergmann")
    for person, expected in ((tenant_a.agent, 403), (outsider, 404)):
        client.force_login(person)
        answer = client.post(
            f"/care/mailboxes/{box.pk}/signing/", {"action": "make", "selector": "x1"}
        )
        assert answer.status_code == expected
    assert _keys() == []
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action__startswith="care.signing_key").exists()


def test_an_agent_replies_in_html_with_a_copy_and_a_file_from_the_ticket_panel(
    client, box, tenant_a, django_capture_on_commit_callbacks
):
    # given a customer's mail and the mailbox's signature
    with client_scope(clients=[tenant_a.client]):
        Mailbox.objects.filter(pk=box.pk).update(
            sender_name="Acme Support", signature_text="Acme Support team"
        )
        box.refresh_from_db()
        ticket = WorkItem.objects.get(pk=inbound.ingest(mailbox=box, raw=mail()).item_id)
    client.force_login(tenant_a.team_lead)
    panel = client.get(f"/care/tickets/{ticket.pk}/").content.decode()
    assert "Sent from Acme Support &lt;help@acme.example&gt;" in panel
    # when the lead replies in HTML, copying a colleague, with a file
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/care/tickets/{ticket.pk}/reply/",
            {
                "body": "<p>Your <b>label</b> is attached.</p>",
                "format": "html",
                "cc": "ops@example.org",
                "kind": "reply",
                "files": SimpleUploadedFile("label.pdf", PDF, content_type="application/pdf"),
            },
            follow=True,
        )
    assert "Reply sent to the customer." in answer.content.decode()
    # then one message with both parts, the copy and the file went out
    [sent] = outbox.outbox
    assert (sent.to, sent.cc) == (["maria@example.org"], ["ops@example.org"])
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)
    assert parsed.get_body(("plain",)).get_content().splitlines() == [
        "Your label is attached.",
        "",
        "-- ",
        "Acme Support team",
    ]
    assert "<p>Your <b>label</b> is attached.</p>" in parsed.get_body(("html",)).get_content()
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["label.pdf"]
