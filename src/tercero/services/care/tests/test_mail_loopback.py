"""The acceptance round trip against real servers on loopback: a customer's e-mail goes
through SMTP into the desk's IMAP mailbox and becomes a ticket; the agent's reply
arrives in the customer's IMAP mailbox with the right In-Reply-To; the customer's
answer threads into the same ticket; an out-of-office reply opens nothing; and broken
mail never stops the poller or stays half-processed in the mailbox."""

import email
import email.policy
import smtplib

import pytest

from tercero.delivery.work.models import WorkItem
from tercero.services.care import poller, services
from tercero.services.care.models import Message, Rejection
from tercero.services.care.tests.mailservers import PASSWORD, Dovecot, Relay
from tercero.services.care.tests.test_inbound import mail, mailbox  # noqa: F401 (fixture)

DESK = "help@acme.example"
CUSTOMER = "maria@example.org"


@pytest.fixture
def servers(settings):
    dovecot = Dovecot([DESK, CUSTOMER])
    relay = Relay(dovecot)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": relay.port, "use_tls": False, "timeout": 10},
        }
    }
    yield dovecot, relay
    relay.stop()
    dovecot.stop()


@pytest.fixture
def desk(mailbox, servers):  # noqa: F811
    dovecot, _ = servers
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_ssl = "127.0.0.1", dovecot.port, False
    mailbox.imap_user = DESK
    mailbox.save()
    poller.set_imap_password(mailbox=mailbox, password=PASSWORD)
    mailbox.refresh_from_db()
    return mailbox


def _send(relay: Relay, raw: bytes, to: str = DESK) -> None:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as smtp:
        smtp.sendmail(CUSTOMER, [to], raw)


def test_an_email_round_trip_through_smtp_and_imap(
    desk, servers, tenant_a, django_capture_on_commit_callbacks
):
    # protects: the e-mail channel end to end, threading both ways, no auto-reply loop
    dovecot, relay = servers
    _send(relay, mail())
    report = poller.poll(mailbox=desk)
    assert report.created == 1
    ticket = WorkItem.objects.get()
    assert dovecot.messages(DESK) == []
    assert len(dovecot.messages(DESK, "Processed")) == 1
    # the agent replies; it arrives in the customer's own mailbox, threaded
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It ships today.")
    [received] = dovecot.messages(CUSTOMER)
    answer = email.message_from_bytes(received, policy=email.policy.default)
    assert answer["In-Reply-To"] == "<m1@example.org>"
    # the customer answers it from their mail program
    _send(
        relay,
        mail(
            subject=f"Re: {answer['Subject']}",
            message_id="<m2@example.org>",
            extra=f"In-Reply-To: {answer['Message-ID']}\r\nReferences: {answer['Message-ID']}\r\n",
            body="Great, thanks",
        ),
    )
    # and their mail server's out-of-office arrives too
    _send(
        relay,
        mail(
            subject="Out of office", message_id="<ooo@x>", extra="Auto-Submitted: auto-replied\r\n"
        ),
    )
    report = poller.poll(mailbox=desk)
    assert (report.threaded, report.rejected, report.created) == (1, 1, 0)
    assert WorkItem.objects.count() == 1
    assert Message.objects.filter(item=ticket).count() == 3
    assert len(dovecot.messages(DESK, "Rejected")) == 1
    assert dovecot.messages(CUSTOMER)[1:] == []  # nothing answered the out-of-office


def test_malformed_mail_never_stops_the_poller(desk, servers):
    # protects: one bad message must not block the mailbox or be left half-processed
    import base64

    dovecot, _ = servers
    big = base64.encodebytes(b"\0" * (20 * 1024 * 1024)).decode()
    bad = [
        b"Subject: no sender at all\r\n\r\nbody",
        b"From: a@example.org\r\nSubject: broken\r\nContent-Type: multipart/mixed; "
        b'boundary="zz"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\ntext\r\n--zz',
        b"From: b@example.org\r\nSubject: latin\r\nContent-Type: text/plain; "
        b"charset=iso-8859-1\r\n\r\nCaf\xe9 cr\xe8me",
        (
            "From: c@example.org\r\nSubject: huge\r\nMessage-ID: <huge@x>\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain\r\n\r\nsee file\r\n--b\r\n"
            "Content-Type: application/octet-stream\r\n"
            'Content-Disposition: attachment; filename="h.bin"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{big}\r\n--b--\r\n"
        ).encode(),
    ]
    for raw in bad:
        dovecot.deliver(DESK, raw)
    report = poller.poll(mailbox=desk)
    assert report.failed == []
    assert (report.created, report.rejected) == (3, 1)
    assert dovecot.messages(DESK) == []
    assert len(dovecot.messages(DESK, "Processed")) == 3
    assert Rejection.objects.get().reason == "no sender address (From)"
    # a second poll (as after a crash before the move) records nothing twice
    assert poller.poll(mailbox=desk).created == 0
    assert WorkItem.objects.count() == 3


def test_an_unreachable_server_is_reported_not_raised(desk):
    # protects: the scheduler's job keeps running when a mailbox's server is down
    desk.imap_port = 1
    report = poller.poll(mailbox=desk, timeout=2)
    desk.refresh_from_db()
    assert report.created == 0
    assert desk.last_poll_error


def test_a_bounce_of_a_reply_arrives_by_imap_and_shows_on_the_ticket(
    desk, servers, tenant_a, django_capture_on_commit_callbacks
):
    # protects: a reply that never reached the customer, unseen by the agent
    dovecot, relay = servers
    _send(relay, mail())
    poller.poll(mailbox=desk)
    ticket = WorkItem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It ships today.")
    [received] = dovecot.messages(CUSTOMER)
    # the customer's server refuses it later and reports to the desk's address
    dovecot.deliver(
        DESK,
        (
            b"From: MAILER-DAEMON@mx.example.org\r\nTo: help@acme.example\r\n"
            b"Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <dsn@mx>\r\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
            b"\r\n--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
            b"Reporting-MTA: dns; mx.example.org\r\n\r\n"
            b"Final-Recipient: rfc822; maria@example.org\r\nAction: failed\r\n"
            b"Status: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n"
            b"--r\r\nContent-Type: message/rfc822\r\n\r\n"
        )
        + received
        + b"\r\n--r--\r\n",
    )
    report = poller.poll(mailbox=desk)
    assert (report.threaded, report.created, report.rejected) == (1, 0, 0)
    [note] = Message.objects.filter(item=ticket, direction="note")
    assert note.body.startswith(f"Our reply of {sent.created_at:%Y-%m-%d %H:%M} UTC")
    assert "the requester's address (m•••@e•••): 5.2.2 552 5.2.2 mailbox full" in note.body
    assert len(dovecot.messages(DESK, "Processed")) == 2
    assert dovecot.messages(CUSTOMER)[1:] == []  # nothing answered the bounce
