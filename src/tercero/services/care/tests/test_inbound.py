"""Inbound e-mail as a mailbox meets it: real customers, replies, auto-responders,
and broken mail. Every message becomes a ticket, a message on a ticket, or a logged
rejection; nothing raises and nothing is half-stored."""

from datetime import timedelta

import pytest
from django.utils import timezone

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


def _token(item_id: int) -> str:
    return inbound.token_of(WorkItem.objects.get(pk=item_id))


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
            subject=f"Still waiting {_token(first.item_id)}",
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


def _resolved(ticket_id, tenant):
    from tercero.delivery.work import services as work
    from tercero.delivery.work.tests.conftest import make_agent

    ticket = WorkItem.objects.get(pk=ticket_id)
    agent = make_agent(ticket.engagement, skills={"customer_care": 3})
    work.assign(actor=tenant.team_lead, item=ticket, agent=agent)
    ticket.refresh_from_db()
    ticket = work.transition(
        actor=tenant.team_lead, item=ticket, action="start", version=ticket.version
    )
    return work.transition(
        actor=tenant.team_lead,
        item=ticket,
        action="resolve",
        version=ticket.version,
        resolution="Answered",
    )


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def test_a_photo_sent_to_a_resolved_ticket_reopens_it_and_is_kept(mailbox, tenant_a):
    # protects: the customer's photo dropped ("Files can only be added to open items")
    import base64

    first = inbound.ingest(mailbox=mailbox, raw=mail())
    _resolved(first.item_id, tenant_a)
    photo = base64.encodebytes(PNG).decode()
    raw = (
        "From: Maria Santos <maria@example.org>\r\nSubject: Re: Where is my order?\r\n"
        "Message-ID: <photo@example.org>\r\nIn-Reply-To: <m1@example.org>\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe box arrived broken, photo attached.\r\n"
        '--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="box.png"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{photo}\r\n--b--\r\n"
    ).encode()
    outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    assert (outcome.status, outcome.item_id) == ("threaded", first.item_id)
    ticket = WorkItem.objects.get(pk=first.item_id)
    assert (ticket.status, ticket.reopen_count) == ("queued", 1)
    assert list(Attachment.objects.filter(item=ticket).values_list("name", flat=True)) == [
        "box.png"
    ]
    body = Message.objects.get(message_id="<photo@example.org>").body
    assert "not kept" not in body


def test_ticket_tokens_are_random_and_a_strangers_mail_with_one_opens_a_new_ticket(
    mailbox, tenant_a
):
    # protects: anyone posting into (and reopening) any ticket by a guessed [#T-176]
    first = inbound.ingest(mailbox=mailbox, raw=mail())
    _resolved(first.item_id, tenant_a)
    token = _token(first.item_id)
    second = inbound.ingest(mailbox=mailbox, raw=mail(message_id="<other@x>", subject="Hi"))
    assert _token(second.item_id) != token.replace(
        f"#T-{first.item_id}-", f"#T-{second.item_id}-"
    )  # the random parts differ, not only the numbers
    assert len(token) == len(f"[#T-{first.item_id}-]") + inbound.TOKEN_LENGTH
    # the old sequential form no longer reaches a ticket the desk never mailed it for
    guessed = inbound.ingest(
        mailbox=mailbox, raw=mail(message_id="<g@x>", subject=f"Re: [#T-{first.item_id}]")
    )
    assert guessed.status == "created"
    # a stranger holding the real token
    stranger = inbound.ingest(
        mailbox=mailbox,
        raw=mail(sender="eve@evil.example", message_id="<eve@x>", subject=f"Re: hello {token}"),
    )
    assert stranger.status == "created"
    assert stranger.item_id != first.item_id
    ticket = WorkItem.objects.get(pk=first.item_id)
    assert (ticket.status, ticket.reopen_count) == ("resolved", 0)
    assert not Message.objects.filter(item=ticket, message_id="<eve@x>").exists()
    opened = WorkItem.objects.get(pk=stranger.item_id)
    assert token not in opened.title
    [note] = Message.objects.filter(item=opened, direction="note")
    assert f"named ticket #{first.item_id}" in note.body
    # nor may the stranger get in by naming the customer's own message id
    named = inbound.ingest(
        mailbox=mailbox,
        raw=mail(
            sender="eve@evil.example",
            message_id="<eve2@x>",
            extra=("In-Reply-To: <m1@example.org>\r\n"),
        ),
    )
    assert named.item_id != first.item_id
    # the requester with the token, in another case, is threaded and reopens
    mine = inbound.ingest(
        mailbox=mailbox,
        raw=mail(sender="MARIA@example.org", message_id="<m7@x>", subject=f"Re: {token.upper()}"),
    )
    assert (mine.status, mine.item_id) == ("threaded", first.item_id)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == ("queued", 1)


def test_a_bare_token_still_reaches_a_ticket_mailed_before_tokens_were_random(mailbox):
    # protects: replies to mails the desk sent before tokens carried a random part
    first = inbound.ingest(mailbox=mailbox, raw=mail())
    Message.objects.create(  # a reply the desk sent then, with the bare token
        client_id=mailbox.client_id,
        item_id=first.item_id,
        direction="outbound",
        message_id="<old-reply@acme.example>",
        subject=f"Re: Where is my order? [#T-{first.item_id}]",
        body="On its way.",
    )
    again = inbound.ingest(
        mailbox=mailbox,
        raw=mail(message_id="<m8@x>", subject=f"Re: Where is my order? [#T-{first.item_id}]"),
    )
    assert (again.status, again.item_id) == ("threaded", first.item_id)
    _token(first.item_id)  # a new reply gives it a random token; the old still reads
    later = inbound.ingest(
        mailbox=mailbox, raw=mail(message_id="<m9@x>", subject=f"Re: [#T-{first.item_id}]")
    )
    assert later.item_id == first.item_id


def test_a_reply_with_a_merged_tickets_token_lands_on_the_ticket_it_was_merged_into(
    mailbox, tenant_a
):
    # protects: the customer's answer stored on the cancelled duplicate, unseen
    from tercero.services.care import services

    first = inbound.ingest(mailbox=mailbox, raw=mail())
    duplicate = inbound.ingest(
        mailbox=mailbox, raw=mail(message_id="<dup@example.org>", subject="Order missing!!")
    )
    token = _token(duplicate.item_id)
    services.merge(
        actor=tenant_a.team_lead,
        source=WorkItem.objects.get(pk=duplicate.item_id),
        target=WorkItem.objects.get(pk=first.item_id),
    )
    answer = inbound.ingest(
        mailbox=mailbox,
        raw=mail(message_id="<after-merge@example.org>", subject=f"Re: Order missing!! {token}"),
    )
    assert (answer.status, answer.item_id) == ("threaded", first.item_id)
    assert WorkItem.objects.get(pk=duplicate.item_id).status == "cancelled"
    assert Message.objects.get(message_id="<after-merge@example.org>").item_id == first.item_id


def test_more_mails_from_one_sender_in_a_minute_than_the_limit_open_no_more_tickets(
    mailbox, settings
):
    # protects: a mail loop or a flood opening a ticket per message (10 in a minute: 10)
    settings.CARE_MAIL_PER_SENDER_PER_MINUTE = 3
    outcomes = [
        inbound.ingest(
            mailbox=mailbox, raw=mail(message_id=f"<loop{n}@x>", subject=f"Ticket number {n}")
        )
        for n in range(10)
    ]
    assert [o.status for o in outcomes] == ["created"] * 3 + ["threaded"] * 7
    assert WorkItem.objects.count() == 3
    third = outcomes[2].item_id
    assert {o.item_id for o in outcomes[3:]} == {third}
    assert all(o.reason.startswith("held") for o in outcomes[3:])
    assert Message.objects.filter(item_id=third, direction="inbound").count() == 8  # kept
    [note] = Message.objects.filter(item_id=third, direction="note")
    assert "More than 3 e-mails from this sender within a minute" in note.body
    # another sender is not held, and a minute later the first opens tickets again
    other = inbound.ingest(mailbox=mailbox, raw=mail(sender="b@example.org", message_id="<o@x>"))
    assert other.status == "created"
    Message.objects.filter(message_id__startswith="<loop").update(
        created_at=timezone.now() - timedelta(seconds=61)
    )
    later = inbound.ingest(mailbox=mailbox, raw=mail(message_id="<loop99@x>", subject="New"))
    assert later.status == "created"


def test_mail_to_a_second_address_is_answered_from_it_and_reply_to_is_honoured(
    mailbox, tenant_a, django_capture_on_commit_callbacks
):
    # protects: billing@ mail answered from help@; Reply-To ignored; form relays refused
    from django.core import mail as sent_mail

    from tercero.services.care import services

    with client_scope(clients=[tenant_a.client]):
        billing = Mailbox.objects.create(
            client=tenant_a.client,
            engagement=mailbox.engagement,
            queue=mailbox.queue,
            address="billing@acme.example",
        )
    wrote = inbound.ingest(
        mailbox=billing,
        raw=mail(
            message_id="<bill@x>",
            subject="Invoice 12",
            extra="Reply-To: Maria at work <maria.santos@work.example>\r\n",
        ),
    )
    ticket = WorkItem.objects.get(pk=wrote.item_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="Corrected invoice.")
    relay = inbound.ingest(
        mailbox=mailbox,
        raw=mail(
            sender="Shop contact form <no-reply@shop.example>",
            message_id="<form@x>",
            subject="Contact form: damaged parcel",
            extra="Reply-To: Joao Pereira <joao@example.net>\r\n",
        ),
    )
    assert relay.status == "created"
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(
            actor=tenant_a.team_lead,
            ticket=WorkItem.objects.get(pk=relay.item_id),
            body="Sorry to hear that.",
        )
    first, second = sent_mail.outbox[-2:]
    assert (first.from_email, first.to) == ("billing@acme.example", ["maria.santos@work.example"])
    assert (second.from_email, second.to) == ("help@acme.example", ["joao@example.net"])
    # the customer of the relayed mail is the Reply-To: their answer threads by token
    token = _token(relay.item_id)
    back = inbound.ingest(
        mailbox=mailbox,
        raw=mail(sender="joao@example.net", message_id="<joao2@x>", subject=f"Re: {token}"),
    )
    assert back.item_id == relay.item_id
    # a no-reply sender without a Reply-To is still an automatic mail
    plain = inbound.ingest(
        mailbox=mailbox, raw=mail(sender="no-reply@shop.example", message_id="<nr@x>")
    )
    assert plain.status == "rejected"


def test_a_bounce_of_the_desks_reply_shows_on_the_ticket_as_a_note(mailbox, tenant_a):
    # protects: the agent thinking the customer got an answer that never arrived
    from tercero.services.care import services

    first = inbound.ingest(mailbox=mailbox, raw=mail())
    ticket = WorkItem.objects.get(pk=first.item_id)
    reply = services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It ships today.")
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
        "To: help@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.acme.example>\r\nAuto-Submitted: auto-replied\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: rfc822; maria@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <maria@example.org>: Recipient address rejected: "
        "User unknown\r\n\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: help@acme.example\r\nTo: maria@example.org\r\nSubject: {reply.subject}\r\n"
        f"Message-ID: {reply.message_id}\r\n\r\n--r--\r\n"
    ).encode()
    outcome = inbound.ingest(mailbox=mailbox, raw=dsn)
    assert (outcome.status, outcome.item_id) == ("threaded", ticket.pk)
    [note] = Message.objects.filter(item=ticket, direction="note")
    assert "was not delivered" in note.body
    assert "the requester's address (m•••@e•••)" in note.body
    assert "5.1.1" in note.body
    assert "User unknown" in note.body
    assert "maria@example.org" not in note.body  # named, masked as the desk shows it
    ticket.refresh_from_db()
    assert ticket.status == "queued"  # a bounce reopens and answers nothing
    assert inbound.ingest(mailbox=mailbox, raw=dsn).status == "duplicate"
    assert Rejection.objects.count() == 0
    # a report about mail that is not ours is still only a logged rejection
    foreign = dsn.replace(reply.message_id.encode(), b"<someone-else@x>").replace(
        b"<dsn1@", b"<dsn2@"
    )
    assert inbound.ingest(mailbox=mailbox, raw=foreign).status == "rejected"


def test_the_raw_mail_endpoint_takes_what_imap_takes_and_refuses_more_with_a_413(
    client, tenant_a, mailbox, settings
):
    # protects: mail with a 10 MB attachment refused by the endpoint at 2 MB (IMAP takes it)
    import base64

    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/care/mailboxes/{mailbox.pk}/inbound"
    pdf = PDF + b"%" * (settings.ATTACHMENT_MAX_BYTES - len(PDF))
    raw = (
        "From: a@example.org\r\nSubject: scan\r\nMessage-ID: <big@x>\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nthe full scan\r\n"
        '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="s.pdf"'
        f"\r\nContent-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(pdf).decode()}\r\n--b--"
    ).encode()
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert len(raw) < settings.CARE_MAIL_MAX_BYTES  # the one default fits a full attachment
    response = client.post(url, raw, content_type="message/rfc822")
    assert response.status_code == 200
    assert response.json()["status"] == "created"
    assert Attachment.objects.get().size == settings.ATTACHMENT_MAX_BYTES
    # above the limit: a JSON 413 on the endpoint, a logged rejection through IMAP
    settings.CARE_MAIL_MAX_BYTES = 3 * 2**20
    over = raw.replace(b"<big@x>", b"<big2@x>")
    response = client.post(url, over, content_type="message/rfc822")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert inbound.ingest(mailbox=mailbox, raw=over).status == "rejected"
    assert Rejection.objects.get().reason == "larger than 3 MB"
    assert WorkItem.objects.count() == 1
