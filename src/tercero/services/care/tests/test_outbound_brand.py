"""Mail per client brand: the desk's replies go out from the mailbox's sender name and
address, with its signature, as plain text and sanitised HTML, copied and with files
when the agent asks, threaded, and DKIM-signed by the sender domain's key. Each message
is read as it arrived at a real SMTP server on loopback, and the signature is checked
with dkimpy's own verifier against the DNS record the set-up page shows."""

import email
import email.policy

import dkim
import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile

from tercero.delivery.work.models import Attachment, WorkItem
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import csat, inbound, outbound, services, signing
from tercero.services.care.models import Message, SigningKey
from tercero.services.care.services import signing_keys
from tercero.services.care.tests.mailservers import free_port
from tercero.services.care.tests.test_email_roundtrip import Inbox
from tercero.services.care.tests.test_inbound import PDF, mail, mailbox  # noqa: F401

SIGNATURE_HTML = (
    '<p><strong>Acme Support</strong><br><a href="https://acme.example/help">Help</a></p>'
)


@pytest.fixture
def smtp(settings):
    """An SMTP server on loopback that keeps each message as it arrived."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


@pytest.fixture
def branded(mailbox):  # noqa: F811
    mailbox.sender_name = "Acme Support"
    mailbox.sender_address = "support@acme.example"
    mailbox.signature_text = "Acme Support\nhttps://acme.example/help"
    mailbox.signature_html = SIGNATURE_HTML
    mailbox.save()
    return mailbox


@pytest.fixture
def ticket(branded):
    created = inbound.ingest(mailbox=branded, raw=mail())
    return WorkItem.objects.get(pk=created.item_id)


def _dns(key: SigningKey):
    """A DNS lookup that knows only the record the set-up page tells the client to publish."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        if name.decode().rstrip(".") == signing.record_name(
            domain=key.domain, selector=key.selector
        ):
            return "".join(signing.record_chunks(key.public_key)).encode()
        return None

    return lookup


def _send(ticket, actor, capture, **reply):
    with capture(execute=True):
        services.reply(actor=actor, ticket=ticket, **reply)


def _parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_reply_is_dkim_signed_by_the_sender_domains_key_and_verifies(
    branded,
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # given a key for acme.example, its record published and signing started
    key = signing_keys.make_signing_key(
        actor=tenant_a.team_lead, mailbox=branded, selector="tercero2026"
    )
    signing_keys.start_signing(actor=tenant_a.team_lead, key=key)
    # when the agent replies
    _send(ticket, tenant_a.team_lead, django_capture_on_commit_callbacks, body="It ships today.")
    # then the message as received verifies against that record, signed by acme.example
    [(_, raw)] = smtp.received
    assert dkim.verify(raw, dnsfunc=_dns(key)) is True
    signature = _parsed(raw)["DKIM-Signature"]
    assert "d=acme.example" in signature
    assert "s=tercero2026" in signature
    # and a changed body no longer verifies
    assert dkim.verify(raw.replace(b"ships today", b"ships in May"), dnsfunc=_dns(key)) is False


def test_a_key_waiting_for_its_dns_record_signs_nothing(
    branded,
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    _send(ticket, tenant_a.team_lead, django_capture_on_commit_callbacks, body="Hello")
    [(_, raw)] = smtp.received
    assert _parsed(raw)["DKIM-Signature"] is None


def test_rotating_the_key_signs_with_the_new_selector_and_retires_the_old(
    branded,
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # given a domain signing with s1
    first = signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    signing_keys.start_signing(actor=tenant_a.team_lead, key=first)
    # when a second key is made and switched on
    second = signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s2")
    signing_keys.start_signing(actor=tenant_a.team_lead, key=second)
    _send(ticket, tenant_a.team_lead, django_capture_on_commit_callbacks, body="Hello")
    # then the mail verifies with s2 only, s1 is retired and every step is audited
    [(_, raw)] = smtp.received
    assert dkim.verify(raw, dnsfunc=_dns(second)) is True
    assert dkim.verify(raw, dnsfunc=_dns(first)) is False
    first.refresh_from_db()
    assert first.status == SigningKey.Status.RETIRED
    assert list(
        AuditEvent.objects.filter(action__startswith="care.signing_key.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "care.signing_key.created",
        "care.signing_key.activated",
        "care.signing_key.created",
        "care.signing_key.retired",
        "care.signing_key.activated",
    ]
    with pytest.raises(Conflict):
        signing_keys.start_signing(actor=tenant_a.team_lead, key=first)


def test_the_private_key_is_sealed_and_bound_to_its_domain_and_selector(branded, tenant_a):
    key = signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    assert "PRIVATE KEY" not in key.private_key
    assert key.private_key.startswith("gen1:")
    opened = signing.signer(
        client_id=key.client_id, domain=key.domain, selector="s1", private_sealed=key.private_key
    )
    assert opened.private_pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    with pytest.raises(Exception, match=r"."):
        signing.signer(
            client_id=key.client_id,
            domain="other.example",
            selector="s1",
            private_sealed=key.private_key,
        )


def test_a_selector_that_is_no_dns_label_is_refused_in_words(branded, tenant_a):
    with pytest.raises(InvalidInput, match="letters, digits and hyphens"):
        signing_keys.make_signing_key(
            actor=tenant_a.team_lead, mailbox=branded, selector="bad selector!"
        )
    signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    with pytest.raises(Conflict, match="already has a key with the selector s1"):
        signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    assert SigningKey.objects.count() == 1


def test_an_html_reply_goes_out_as_plain_text_and_sanitised_html_with_the_signature(
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # when the agent replies in HTML holding a script and an unsafe link
    _send(
        ticket,
        tenant_a.team_lead,
        django_capture_on_commit_callbacks,
        body="",
        html="<p>Your order <b>4411</b> ships today.</p><script>alert(1)</script>"
        '<p><a href="javascript:steal()">Track</a> it &amp; relax.</p>',
    )
    # then the customer gets both parts, from the brand's name and address
    [(recipients, raw)] = smtp.received
    sent = _parsed(raw)
    assert recipients == ["maria@example.org"]
    assert sent["From"] == "Acme Support <support@acme.example>"
    assert sent.get_content_type() == "multipart/alternative"
    text = sent.get_body(("plain",)).get_content()
    markup = sent.get_body(("html",)).get_content()
    assert text.splitlines() == [
        "Your order 4411 ships today.",
        "",
        "Track it & relax.",
        "",
        "-- ",
        "Acme Support",
        "https://acme.example/help",
    ]
    assert "<p>Your order <b>4411</b> ships today.</p>" in markup
    assert "<script" not in markup
    assert "javascript:" not in markup
    assert '<div class="signature"><p><strong>Acme Support</strong>' in markup
    # and the conversation keeps the words without markup
    stored = Message.objects.get(item=ticket, direction="outbound")
    assert stored.body == "Your order 4411 ships today.\n\nTrack it & relax."


def test_a_reply_is_copied_and_carries_files_kept_on_the_ticket_and_still_threads(
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    upload = SimpleUploadedFile("label.pdf", PDF, content_type="application/pdf")
    _send(
        ticket,
        tenant_a.team_lead,
        django_capture_on_commit_callbacks,
        body="The return label is attached.",
        cc="Ops <ops@example.org>; maria@example.org",
        files=[upload],
    )
    [(recipients, raw)] = smtp.received
    sent = _parsed(raw)
    assert sorted(recipients) == ["maria@example.org", "ops@example.org"]
    assert sent["Cc"] == "ops@example.org"
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert inbound.token_of(ticket) in sent["Subject"]
    [attached] = list(sent.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("label.pdf", PDF)
    assert sent.get_body(("plain",)).get_content().startswith("The return label is attached.")
    assert list(Attachment.objects.filter(item=ticket).values_list("name", flat=True)) == [
        "label.pdf"
    ]


@pytest.mark.parametrize(
    ("cc", "files", "message"),
    [
        ("not-an-address", [], "is not an e-mail address"),
        ("help@acme.example", [], "A desk address cannot be copied in"),
        (", ".join(f"p{n}@example.org" for n in range(11)), [], "at most 10 addresses"),
        ("", [("f.pdf", 11)], "at most 10 files"),
        ("", [("big.pdf", 1)], "a reply carries at most 15.0 MB in all"),
    ],
)
def test_a_reply_over_the_limits_is_refused_in_words_and_nothing_is_sent(
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
    cc,
    files,
    message,
):
    uploads = []
    for name, count in files:
        size = outbound.REPLY_MAX_BYTES + 1 if name == "big.pdf" else len(PDF)
        for _ in range(count):
            upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
            upload.size = size
            uploads.append(upload)
    with pytest.raises(InvalidInput, match=message):
        _send(
            ticket,
            tenant_a.team_lead,
            django_capture_on_commit_callbacks,
            body="Hello",
            cc=cc,
            files=uploads,
        )
    assert smtp.received == []
    assert not Message.objects.filter(item=ticket, direction="outbound").exists()
    assert not Attachment.objects.filter(item=ticket).exists()


def test_the_dns_record_is_split_into_strings_dns_can_hold(branded, tenant_a):
    key = signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    chunks = signing.record_chunks(key.public_key)
    assert signing.record_name(domain="acme.example", selector="s1") == "s1._domainkey.acme.example"
    assert "".join(chunks).startswith("v=DKIM1; k=rsa; p=MIIBIjAN")
    assert len(chunks) == 2
    assert all(len(chunk) <= 255 for chunk in chunks)


def test_the_satisfaction_survey_goes_out_from_the_brand_and_dkim_signed(
    branded,
    ticket,
    tenant_a,
    smtp,
    django_capture_on_commit_callbacks,
):
    # given a domain that signs its mail
    key = signing_keys.make_signing_key(actor=tenant_a.team_lead, mailbox=branded, selector="s1")
    signing_keys.start_signing(actor=tenant_a.team_lead, key=key)
    # when the ticket's survey is sent
    with client_scope(clients=[tenant_a.client]), django_capture_on_commit_callbacks(execute=True):
        assert csat.send_survey(ticket=ticket) is not None
    # then it comes from the brand's sender, as an automatic message, and verifies
    [(_, raw)] = smtp.received
    survey = _parsed(raw)
    assert survey["From"] == "Acme Support <support@acme.example>"
    assert survey["Auto-Submitted"] == "auto-generated"
    assert "How did we do?" in survey["Subject"]
    assert dkim.verify(raw, dnsfunc=_dns(key)) is True
