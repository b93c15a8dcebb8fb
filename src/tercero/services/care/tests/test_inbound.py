"""Inbound e-mail as a mailbox meets it: real customers, replies, auto-responders,
and broken mail. Every message becomes a ticket, a message on a ticket, or a logged
rejection; nothing raises and nothing is half-stored."""

import pytest

from tercero.delivery.work.models import Attachment, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import inbound
from tercero.services.care.models import Mailbox, Message, Rejection

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def mailbox(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Care")
    queue = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client,
            engagement=engagement,
            queue=queue,
            address="help@acme.example",
        )
    with client_scope(clients=[tenant_a.client]):
        yield box


def mail(
    *,
    sender="Maria Santos <maria@example.org>",
    subject="Where is my order?",
    body="Order 4411 has not arrived.",
    message_id="<m1@example.org>",
    extra="",
) -> bytes:
    head = f"From: {sender}\r\nTo: help@acme.example\r\nSubject: {subject}\r\n"
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    return (head + extra + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


def test_a_customer_email_becomes_a_ticket_with_the_sender_sealed(mailbox):
    # protects: e-mail intake, and the customer's address at rest
    outcome = inbound.ingest(mailbox=mailbox, raw=mail())
    assert outcome.status == "created"
    ticket = WorkItem.objects.get(pk=outcome.item_id)
    assert ticket.title == "Where is my order?"
    assert ticket.channel == "email"
    assert "maria@example.org" not in str(ticket.payload)
    message = Message.objects.get(item=ticket)
    assert message.body == "Order 4411 has not arrived."
    assert "maria@example.org" not in message.sender


def test_a_reply_threads_by_in_reply_to_and_by_the_ticket_token(mailbox):
    # protects: one conversation per ticket (no duplicate tickets for replies)
    first = inbound.ingest(mailbox=mailbox, raw=mail())
    reply = inbound.ingest(
        mailbox=mailbox,
        raw=mail(
            subject="Re: Where is my order?",
            message_id="<m2@example.org>",
            extra="In-Reply-To: <m1@example.org>\r\n",
        ),
    )
    tokened = inbound.ingest(
        mailbox=mailbox,
        raw=mail(
            subject=f"Still waiting {inbound.token_of(first.item_id)}",
            message_id="<m3@example.org>",
        ),
    )
    assert (reply.status, reply.item_id) == ("threaded", first.item_id)
    assert (tokened.status, tokened.item_id) == ("threaded", first.item_id)
    assert WorkItem.objects.count() == 1
    assert Message.objects.filter(item_id=first.item_id).count() == 3


def test_the_same_email_delivered_twice_is_stored_once(mailbox):
    # protects: a poller that crashed after fetching re-delivers without duplicates
    assert inbound.ingest(mailbox=mailbox, raw=mail()).status == "created"
    assert inbound.ingest(mailbox=mailbox, raw=mail()).status == "duplicate"
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied\r\n",
        "Precedence: bulk\r\n",
        "X-Autoreply: yes\r\n",
        "Return-Path: <>\r\n",
    ],
)
def test_an_auto_responder_opens_no_ticket(mailbox, extra):
    # protects: mail loops between our acknowledgements and their out-of-office
    outcome = inbound.ingest(
        mailbox=mailbox, raw=mail(subject="Out of office", message_id="<ooo@x>", extra=extra)
    )
    assert outcome.status == "rejected"
    assert "auto-generated" in outcome.reason
    assert WorkItem.objects.count() == 0
    assert Rejection.objects.count() == 1


def test_mail_from_our_own_mailbox_or_a_daemon_opens_no_ticket(mailbox):
    # protects: loops through our own address and bounce storms
    ours = inbound.ingest(mailbox=mailbox, raw=mail(sender="help@acme.example"))
    daemon = inbound.ingest(
        mailbox=mailbox, raw=mail(sender="MAILER-DAEMON@mx.example", message_id="<b@x>")
    )
    assert (ours.status, daemon.status) == ("rejected", "rejected")
    assert WorkItem.objects.count() == 0


def test_a_message_without_a_sender_is_a_logged_rejection(mailbox):
    # protects: the poller keeps going on mail missing headers
    raw = b"Subject: hello\r\n\r\nno from, no message id"
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    assert outcome.status == "rejected"
    assert Rejection.objects.get().reason == "no sender address (From)"


def test_a_message_without_a_message_id_still_becomes_one_ticket(mailbox):
    # protects: missing headers are tolerated, and re-delivery stays idempotent
    raw = mail(message_id="")
    assert inbound.ingest(mailbox=mailbox, raw=raw).status == "created"
    assert inbound.ingest(mailbox=mailbox, raw=raw).status == "duplicate"


def test_non_utf8_and_unknown_charsets_are_decoded(mailbox):
    # protects: mail from old clients in Latin-1 or with a made-up charset name
    latin = (
        b"From: =?iso-8859-1?q?Jos=E9?= <jose@example.org>\r\nSubject: =?iso-8859-1?q?Caf=E9?=\r\n"
        b"Message-ID: <l1@x>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
    ) + "Ça coûte 5 €".encode("latin-1", errors="replace")
    odd = mail(message_id="<l2@x>", subject="odd").replace(b"charset=utf-8", b"charset=x-nonsense")
    first = inbound.ingest(mailbox=mailbox, raw=latin)
    second = inbound.ingest(mailbox=mailbox, raw=odd + b"\xff\xfe bytes")
    assert first.status == second.status == "created"
    assert WorkItem.objects.get(pk=first.item_id).title == "Café"
    assert "Ça coûte" in Message.objects.get(item_id=first.item_id).body


def test_broken_mime_still_becomes_a_ticket(mailbox):
    # protects: the poller against malformed MIME (no closing boundary, bad headers)
    raw = (
        b"From: a@example.org\r\nSubject: broken\r\nMessage-ID: <br@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
        b"--zzz\r\nContent-Type: text/plain\r\n\r\nthe text part\r\n"
        b'--zzz\r\nContent-Type: application/pdf; name="x.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!"
    )
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    assert outcome.status == "created"
    assert "the text part" in Message.objects.get(item_id=outcome.item_id).body


def test_a_20_mb_attachment_is_dropped_with_a_note_and_a_pdf_is_kept(mailbox):
    # protects: storage limits without losing the customer's message
    import base64

    big = base64.encodebytes(b"\0" * (20 * 1024 * 1024)).decode()
    small = base64.encodebytes(PDF).decode()
    raw = (
        "From: a@example.org\r\nSubject: files\r\nMessage-ID: <f@x>\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        "--b\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="scan.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{small}\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="huge.bin"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{big}\r\n--b--\r\n"
    ).encode()
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    assert outcome.status == "created"
    assert list(Attachment.objects.values_list("name", flat=True)) == ["scan.pdf"]
    body = Message.objects.get(item_id=outcome.item_id).body
    assert "huge.bin (20 MB, over the limit)" in body


def test_card_numbers_in_an_email_are_cut(mailbox):
    # protects: PCI DSS 3.3 - customers do e-mail their card numbers
    outcome = inbound.ingest(mailbox=mailbox, raw=mail(body="my card is 4111 1111 1111 1111"))
    assert Message.objects.get(item_id=outcome.item_id).body == "my card is [card ••••1111]"


def test_a_mail_gateway_delivers_raw_email_through_the_api(client, tenant_a, tenant_b, mailbox):
    # protects: the inbound endpoint is scoped (another client's mailbox is 404)
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/care/mailboxes/{mailbox.pk}/inbound"
    first = client.post(url, mail(), content_type="message/rfc822")
    assert first.json()["status"] == "created"
    assert client.post(url, mail(), content_type="message/rfc822").json()["status"] == "duplicate"
    assert client.post(url, b"", content_type="message/rfc822").status_code == 422
    client.force_login(tenant_b.team_lead)
    assert client.post(url, mail(), content_type="message/rfc822").status_code == 404


def test_an_html_only_email_is_stored_with_its_entities_decoded(mailbox):
    # protects: "&amp;" and "&nbsp;" shown to agents instead of the customer's words
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Fish&nbsp;&amp;&nbsp;chips &lt;large&gt; for &quot;Ana&quot; "
        "&#8364;12 &eacute;t&eacute;"
        "</p><p>Second&nbsp;line &amp;amp; more</p></body></html>"
    )
    raw = mail(body=html, message_id="<h1@x>").replace(b"text/plain", b"text/html")
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    body = Message.objects.get(item_id=outcome.item_id).body
    assert body.splitlines()[0].strip() == 'Fish & chips <large> for "Ana" €12 été'
    assert "Second line &amp; more" in body
    assert "&nbsp;" not in body
    assert "\xa0" not in body
    assert "color" not in body
