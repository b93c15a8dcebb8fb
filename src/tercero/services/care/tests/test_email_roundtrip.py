"""A real e-mail round trip on loopback: a customer's e-mail becomes a ticket, the
agent's reply reaches the customer through a real SMTP server with the right threading
headers, and the customer's reply to it lands on the same ticket."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from tercero.delivery.work.models import WorkItem
from tercero.services.care import inbound, services
from tercero.services.care.models import Message
from tercero.services.care.tests.test_inbound import mail, mailbox  # noqa: F401 (fixture)


class Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": port,
                "use_tls": False,
                "timeout": 5,
            },
        }
    }
    yield handler
    controller.stop()


def test_reply_threads_in_the_customers_mailbox_and_back(
    mailbox,  # noqa: F811
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # protects: e-mail conversations (one thread in the customer's mail program and ours)
    created = inbound.ingest(mailbox=mailbox, raw=mail())
    ticket = WorkItem.objects.get(pk=created.item_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It left our depot today.")
    [(recipients, content)] = smtp.received
    assert recipients == ["maria@example.org"]
    sent = email.message_from_bytes(content, policy=email.policy.default)
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert "<m1@example.org>" in sent["References"]
    assert f"[#T-{ticket.pk}-" in sent["Subject"]  # the token: number, then random part
    assert inbound.token_of(ticket) in sent["Subject"]
    assert sent["From"] == "help@acme.example"
    # the customer answers from their mail program
    answer = mail(
        subject=f"Re: {sent['Subject']}",
        message_id="<m9@example.org>",
        extra=f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['Message-ID']}\r\n",
        body="Thanks!",
    )
    threaded = inbound.ingest(mailbox=mailbox, raw=answer)
    assert (threaded.status, threaded.item_id) == ("threaded", ticket.pk)
    directions = list(Message.objects.filter(item=ticket).values_list("direction", flat=True))
    assert directions == ["inbound", "outbound", "inbound"]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


OUTLOOK_HOST = "eurprd07.prod.outlook.com"


def _outlook_id(n: int) -> str:
    # the shape Exchange Online gives its ids: 84 characters, longer than a header line
    return f"<{n:02d}PR07MB6417C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5@AM0PR07MB6417.{OUTLOOK_HOST}>"


def test_a_reply_in_a_thread_of_30_outlook_ids_keeps_root_and_parent_whole(
    mailbox,  # noqa: F811
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # protects: threading in the customer's mail program once a thread grows long (ids
    # were RFC 2047 encoded and References cut mid-id, losing the root)
    import mailparser

    ids = [_outlook_id(n) for n in range(30)]
    assert len(ids[0]) == 84
    first = inbound.ingest(mailbox=mailbox, raw=mail(message_id=ids[0]))
    for n in range(1, 30):
        answer = mail(
            subject="Re: Where is my order?",
            message_id=ids[n],
            extra=f"In-Reply-To: {ids[n - 1]}\r\nReferences: {ids[0]} {ids[n - 1]}\r\n",
            body=f"message {n}",
        )
        assert inbound.ingest(mailbox=mailbox, raw=answer).item_id == first.item_id
    ticket = WorkItem.objects.get(pk=first.item_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=tenant_a.team_lead, ticket=ticket, body="Here is the answer.")
    [(_, content)] = smtp.received
    head = content.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "=?" not in head  # no encoded-words anywhere in the headers
    assert all(len(line) <= 998 for line in head.split("\r\n"))
    stdlib = email.message_from_bytes(content, policy=email.policy.default)
    other = mailparser.parse_from_bytes(content)
    for parent, references in (
        (str(stdlib["In-Reply-To"]), str(stdlib["References"])),
        (other.in_reply_to, other.references),
    ):
        assert parent.strip() == ids[-1]
        found = references.split()
        assert set(found) <= set(ids)  # every id whole
        assert found[0] == ids[0]  # the root
        assert found[-1] == ids[-1]  # the parent, last
        assert found[1:] == ids[-(len(found) - 1) :]  # then the newest, in order
        assert len(found) >= 10
    # the customer's answer to it threads back into the same ticket
    back = mail(
        subject=f"Re: {stdlib['Subject']}",
        message_id="<back@example.org>",
        extra=f"In-Reply-To: {stdlib['Message-ID']}\r\nReferences: {stdlib['References']}\r\n",
    )
    assert inbound.ingest(mailbox=mailbox, raw=back).item_id == ticket.pk


def test_the_customers_answer_to_the_survey_mail_threads_into_the_ticket(
    mailbox,  # noqa: F811
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # protects: the survey mail carrying the old bare token, which no longer reaches a
    # ticket, and going out from another address than the one the customer wrote to
    from tercero.services.care import csat
    from tercero.services.care.models import Mailbox

    billing = Mailbox.objects.create(
        client=tenant_a.client,
        engagement=mailbox.engagement,
        queue=mailbox.queue,
        address="billing@acme.example",
    )
    created = inbound.ingest(mailbox=billing, raw=mail())
    ticket = WorkItem.objects.get(pk=created.item_id)
    with django_capture_on_commit_callbacks(execute=True):
        csat.send_survey(ticket=ticket)
    [(_, content)] = smtp.received
    survey = email.message_from_bytes(content, policy=email.policy.default)
    assert inbound.token_of(ticket) in survey["Subject"]
    assert survey["From"] == "billing@acme.example"
    answer = mail(
        subject=f"Re: {survey['Subject']}", message_id="<s1@example.org>", body="One more thing"
    )
    assert inbound.ingest(mailbox=billing, raw=answer).item_id == ticket.pk
