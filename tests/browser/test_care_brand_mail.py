"""Mail per client brand in a browser, against real Dovecot (IMAP) and SMTP on loopback:
a delivery manager sets up a new client's mailbox on the pages (sender, signature,
acknowledgement, IMAP), makes its domain's DKIM key and reads the DNS record to publish,
starts signing, and writes the automation that acknowledges what comes in through the
mailbox; a customer mails in, the mailbox is polled and the automations run (twice each:
one acknowledgement), and the manager answers in HTML from the ticket page. The
acknowledgement and the reply in the customer's mailbox come from the brand's sender,
thread under the customer's mail and carry a DKIM signature that verifies against the
record the page showed; the reply has a plain and an HTML part and the signature."""

import email
import email.policy
import smtplib

import dkim
import pytest

from tercero.delivery.work import outbox
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import automations, poller
from tercero.services.care.models import Mailbox
from tercero.services.care.tests.mailservers import PASSWORD as IMAP_PASSWORD
from tercero.services.care.tests.mailservers import Dovecot, Relay
from tercero.services.care.tests.test_inbound import mail
from tests.browser.conftest import ALWAYS, checked, screenshot, sign_in
from tests.factories import engagement_for

pytestmark = pytest.mark.browser

DESK = "help@acme.example"
CUSTOMER = "maria@example.org"
ACKNOWLEDGEMENT = "Thank you for writing to Acme. We answer within one working day."
SIGNATURE_HTML = (
    '<p><strong>Acme Support</strong><br><a href="https://acme.example/help">Help centre</a></p>'
)


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


def _new_client_desk(tenant):
    """A new client's care engagement with its intake queue, and the manager who sets
    up its desk."""
    engagement = engagement_for(
        tenant.client,
        name="Customer care",
        status="live",
        hours_of_cover="24_7",
        working_hours=ALWAYS,
        service_line="customer_care",
        office="front",
    )
    with client_scope(clients=[tenant.client]):
        work.create_queue(
            actor=None, engagement=engagement, name="E-mail", work_types=["care.ticket"]
        )
    manager = UserFactory(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        Grant.objects.create(user=manager, client=tenant.client, reason="sets up Acme's desk")
    return manager


def _set_up_mailbox(page, dovecot) -> None:
    page.get_by_role("link", name="Automations").click()
    page.get_by_role("link", name="Mailboxes").click()
    checked(page)
    page.get_by_role("link", name="New mailbox").click()
    page.get_by_label("Engagement", exact=True).select_option(
        label="Customer care · Acme Retail Inc"
    )
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Address:", exact=True).fill(DESK)
    page.get_by_label("Queue:", exact=True).select_option(label="E-mail")
    page.get_by_label("Acknowledgement:", exact=True).fill(ACKNOWLEDGEMENT)
    page.get_by_label("Sender name:", exact=True).fill("Acme Support")
    page.get_by_label("Sender address:", exact=True).fill("support@acme.example")
    page.get_by_label("Signature (plain text):", exact=True).fill(
        "Acme Support\nhttps://acme.example/help"
    )
    page.get_by_label("Signature (HTML):", exact=True).fill(SIGNATURE_HTML)
    page.get_by_label("IMAP server:", exact=True).fill("127.0.0.1")
    page.get_by_label("IMAP port:", exact=True).fill(str(dovecot.port))
    page.get_by_label("IMAP over TLS:", exact=True).uncheck()
    page.get_by_label("IMAP user:", exact=True).fill(DESK)
    page.get_by_label("IMAP password:", exact=True).fill(IMAP_PASSWORD)
    page.get_by_role("button", name="Save mailbox").click()
    page.locator("#signing-heading").wait_for()
    checked(page)


def _make_and_start_key(page) -> tuple[str, str]:
    """Make the key on the page; return the DNS record (name, value) it shows."""
    assert page.locator("#signing-heading").inner_text() == "DKIM signing for acme.example"
    page.get_by_label("Selector", exact=True).fill("brand2026")
    page.get_by_role("button", name="Make a signing key").click()
    page.locator("#signing-keys").wait_for()
    name = page.locator(".dkim-name").input_value()
    value = page.locator(".dkim-value").input_value()
    assert "Waiting for the DNS record" in page.locator("#signing-keys").inner_text()
    checked(page)
    screenshot(page, "care-mailbox-dkim-record")
    page.get_by_role("button", name="Start signing with brand2026").click()
    page.locator("#signing-keys").wait_for()
    assert "Signing since" in page.locator("#signing-keys").inner_text()
    return name, value


def _acknowledge_from_the_mailbox(page) -> None:
    """The automation set-up page: when a ticket is created from the desk's mailbox,
    send the mailbox's acknowledgement."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Automations").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Engagement", exact=True).select_option(
        label="Customer care · Acme Retail Inc"
    )
    page.get_by_role("button", name="Next").click()
    checked(page)
    page.get_by_label("Name:", exact=True).fill("Acknowledge the help desk's mail")
    page.get_by_label("When:", exact=True).select_option("created")
    page.get_by_label("Condition 1:", exact=True).select_option("mailbox")
    page.locator("#id_cond_0_operator").select_option("is")
    page.locator("#id_cond_0_choice").select_option(label=DESK)
    page.get_by_label("Action 1:", exact=True).select_option("acknowledge")
    page.get_by_role("button", name="Save rule").click()
    summary = page.locator("#rule-summary")
    summary.wait_for()
    assert summary.inner_text() == (
        f"When a ticket is created and the mailbox it came in through is {DESK}: "
        "send the mailbox's acknowledgement."
    )
    checked(page)


def _customer_mails_in(relay, tenant) -> int:
    """The customer's mail, polled and the automations run as the workers would; then
    polled again and the ticket's creation handed to the automations again, as a worker
    that died before writing its receipt would."""
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as smtp:
        smtp.sendmail(CUSTOMER, [DESK], mail())
    with client_scope(clients=[tenant.client]):
        box = Mailbox.objects.get(address=DESK)
        assert poller.poll(mailbox=box).created == 1
    outbox.consume("care.automations")
    with client_scope(clients=[tenant.client]):
        assert poller.poll(mailbox=box).created == 0
        ids = work_selectors.items(client_ids=[tenant.client.pk]).values_list("pk", flat=True)
        ticket_id = max(ids)
    outbox.consume("care.automations")
    with all_clients_scope():
        created = WorkEvent.objects.get(item_id=ticket_id, kind="item.created")
        automations.on_events([created])
    return ticket_id


def _verifies(raw: bytes, published: dict[str, str]) -> bool:
    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        found = published.get(name.decode().rstrip("."))
        return found.encode() if found else None

    return dkim.verify(raw, dnsfunc=dns) is True


def _acknowledged(dovecot, published: dict[str, str]) -> None:
    """One acknowledgement in the customer's mailbox: from the brand's sender, threaded
    under their mail, marked automatic, signed."""
    [raw] = dovecot.messages(CUSTOMER)
    assert _verifies(raw, published)
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["From"] == "Acme Support <support@acme.example>"
    assert received["In-Reply-To"] == "<m1@example.org>"
    assert received["References"] == "<m1@example.org>"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["Subject"].startswith("Re: Where is my order?")
    assert received.get_body(("plain",)).get_content().strip() == ACKNOWLEDGEMENT


def test_a_new_clients_mailbox_set_up_on_pages_sends_a_signed_html_reply(
    page, live_server, servers, tenant_a
):
    dovecot, relay = servers
    manager = _new_client_desk(tenant_a)
    sign_in(page, live_server, manager, PASSWORD)
    _set_up_mailbox(page, dovecot)
    record_name, record_value = _make_and_start_key(page)
    assert record_name == "brand2026._domainkey.acme.example"
    published = {record_name: record_value}
    _acknowledge_from_the_mailbox(page)
    ticket_id = _customer_mails_in(relay, tenant_a)
    _acknowledged(dovecot, published)
    page.goto(f"{live_server.url}/care/tickets/{ticket_id}/")
    log = page.locator("#automation-log")
    log.wait_for()
    assert log.inner_text().count("sent the acknowledgement of help@acme.example") == 1
    checked(page)
    # the manager answers in HTML from the ticket page
    page.goto(f"{live_server.url}/work/items/{ticket_id}/")
    page.locator("#reply-form").wait_for()
    assert "Sent from Acme Support <support@acme.example>, with the mailbox's signature" in (
        page.locator("#reply-sender").inner_text()
    )
    page.locator("#reply-body").fill("<p>Your order <b>4411</b> left our depot today.</p>")
    page.get_by_label("Written as", exact=True).select_option(
        label="HTML (paragraphs, bold, lists, links)"
    )
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Reply sent to the customer.").wait_for()
    checked(page)
    # the customer's mailbox holds the acknowledgement and the reply: both parts,
    # signed, threaded
    acknowledgement, raw = dovecot.messages(CUSTOMER)
    assert "Auto-Submitted" in email.message_from_bytes(acknowledgement)
    assert _verifies(raw, published)
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["From"] == "Acme Support <support@acme.example>"
    assert received["In-Reply-To"] == "<m1@example.org>"
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().splitlines() == [
        "Your order 4411 left our depot today.",
        "",
        "-- ",
        "Acme Support",
        "https://acme.example/help",
    ]
    markup = received.get_body(("html",)).get_content()
    assert "<p>Your order <b>4411</b> left our depot today.</p>" in markup
    assert '<a href="https://acme.example/help">Help centre</a>' in markup
