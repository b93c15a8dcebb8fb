"""Mail per client brand in a browser, against real Dovecot (IMAP) and SMTP on loopback:
a delivery manager sets up a new client's mailbox on the pages (sender, signature, IMAP),
makes its domain's DKIM key and reads the DNS record to publish, starts signing; a
customer mails in, the mailbox is polled, and the manager answers in HTML from the
ticket page. The reply in the customer's mailbox has a plain and an HTML part, the
signature, the threading headers, and a DKIM signature that verifies against the
record the page showed."""

import email
import email.policy
import smtplib

import dkim
import pytest

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import poller
from tercero.services.care.models import Mailbox
from tercero.services.care.tests.mailservers import PASSWORD as IMAP_PASSWORD
from tercero.services.care.tests.mailservers import Dovecot, Relay
from tercero.services.care.tests.test_inbound import mail
from tests.browser.conftest import ALWAYS, checked, screenshot, sign_in
from tests.factories import engagement_for

pytestmark = pytest.mark.browser

DESK = "help@acme.example"
CUSTOMER = "maria@example.org"
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


def _customer_mails_in(relay, tenant) -> int:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as smtp:
        smtp.sendmail(CUSTOMER, [DESK], mail())
    with client_scope(clients=[tenant.client]):
        box = Mailbox.objects.get(address=DESK)
        assert poller.poll(mailbox=box).created == 1
        ids = work_selectors.items(client_ids=[tenant.client.pk]).values_list("pk", flat=True)
        return max(ids)


def test_a_new_clients_mailbox_set_up_on_pages_sends_a_signed_html_reply(
    page, live_server, servers, tenant_a
):
    dovecot, relay = servers
    manager = _new_client_desk(tenant_a)
    sign_in(page, live_server, manager, PASSWORD)
    _set_up_mailbox(page, dovecot)
    record_name, record_value = _make_and_start_key(page)
    assert record_name == "brand2026._domainkey.acme.example"
    ticket_id = _customer_mails_in(relay, tenant_a)
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
    # the customer's mailbox holds the reply: both parts, signed, threaded
    [raw] = dovecot.messages(CUSTOMER)
    published = {record_name: record_value}

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        found = published.get(name.decode().rstrip("."))
        return found.encode() if found else None

    assert dkim.verify(raw, dnsfunc=dns) is True
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
