"""The mailbox's sender and signature in the set-up API (issue 19): the API takes and
returns the sender name and address and the plain and HTML signature the mailbox's page
has, checks them by the same rules (a bad address is refused in words, nothing stored),
rebuilds the HTML from the allow-list as the page does, audits each change by field name,
and the desk's replies then go out from that sender with that signature."""

import json

import pytest
from django.core import mail as sent_mail

from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import inbound, mail_html, services
from tercero.services.care.models import Mailbox
from tercero.services.care.tests.test_inbound import mail

JSON = "application/json"
UNSAFE_HTML = (
    '<p onclick="steal()">Kind regards,<br><b>Acme Support</b> '
    '<a href="javascript:alert(1)">x</a> <a href="https://acme.example/help">Help</a></p>'
    '<script>alert(1)</script><img src="https://tracker.example/p.gif">'
)
SAFE_HTML = (
    '<p>Kind regards,<br><b>Acme Support</b> <a>x</a> <a href="https://acme.example/help">'
    "Help</a></p>"
)


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Acme care", service_line="customer_care")
    return {
        "engagement": engagement,
        "queue": make_queue(engagement, name="E-mail", work_types=["care.ticket"]),
    }


def _body(desk, **fields) -> dict:
    return {
        "engagement_id": desk["engagement"].pk,
        "address": "help@acme.example",
        "queue_id": desk["queue"].pk,
        **fields,
    }


def _post(client, body):
    return client.post("/api/v1/care/mailboxes", json.dumps(body), content_type=JSON)


def _patch(client, pk, body):
    return client.patch(f"/api/v1/care/mailboxes/{pk}", json.dumps(body), content_type=JSON)


def _brand(row: dict) -> tuple:
    return tuple(
        row[name] for name in ("sender_name", "sender_address", "signature_text", "signature_html")
    )


def test_a_mailbox_is_created_with_its_sender_and_signature_and_returns_them(client, desk, manager):
    client.force_login(manager)
    # when a mailbox is created with a sender and a signature whose HTML is unsafe
    made = _post(
        client,
        _body(
            desk,
            sender_name="  Acme   Support ",
            sender_address="Support@Acme.example",
            signature_text="Acme Support\nhttps://acme.example/help",
            signature_html=UNSAFE_HTML,
        ),
    )
    # then it is stored as the page stores it: the HTML rebuilt from the allow-list
    assert made.status_code == 201, made.content
    expected = (
        "Acme Support",
        "support@acme.example",
        "Acme Support\nhttps://acme.example/help",
        SAFE_HTML,
    )
    assert _brand(made.json()) == expected
    assert mail_html.sanitise(UNSAFE_HTML) == SAFE_HTML
    # and reading it back, alone or in the list, gives the same
    read = client.get(f"/api/v1/care/mailboxes/{made.json()['id']}").json()
    listed = client.get("/api/v1/care/mailboxes").json()["results"]
    assert (_brand(read), [_brand(row) for row in listed]) == (expected, [expected])


def test_a_mailbox_created_without_a_sender_sends_from_its_own_address(client, desk, manager):
    client.force_login(manager)
    made = _post(client, _body(desk))
    assert _brand(made.json()) == ("", "", "", "")


def test_changing_the_signature_keeps_the_sender_and_is_audited_by_field(client, desk, manager):
    client.force_login(manager)
    pk = _post(
        client, _body(desk, sender_name="Acme Support", sender_address="support@acme.example")
    ).json()["id"]
    # when only the signature is changed
    changed = _patch(
        client, pk, {"signature_text": "The Acme team", "signature_html": "<p>The <i>Acme</i></p>"}
    )
    # then the sender is kept, and the change is audited by the fields' names only
    assert _brand(changed.json()) == (
        "Acme Support",
        "support@acme.example",
        "The Acme team",
        "<p>The <i>Acme</i></p>",
    )
    with all_clients_scope():
        audited = AuditEvent.objects.filter(action="care.mailbox.changed").get()
    assert audited.payload["fields"] == ["signature_html", "signature_text"]
    # and a blank sender address goes back to the mailbox's own
    assert _patch(client, pk, {"sender_address": ""}).json()["sender_address"] == ""


def test_a_bad_sender_is_refused_in_words_and_nothing_is_stored(client, desk, manager):
    client.force_login(manager)
    # when the sender address is not an address, on create and on change
    refused = _post(client, _body(desk, sender_address="support at acme"))
    pk = _post(client, _body(desk, address="billing@acme.example")).json()["id"]
    changed = _patch(client, pk, {"sender_address": "nobody@", "sender_name": "Billing"})
    too_long = _patch(client, pk, {"sender_name": "x" * 101})
    # then each is refused naming the field, and nothing of it is stored
    words = {"sender_address": "an e-mail address, or blank for the mailbox's own"}
    assert (refused.status_code, refused.json()["error"]["fields"]) == (422, words)
    assert (changed.status_code, changed.json()["error"]["fields"]) == (422, words)
    assert too_long.status_code == 422
    assert "sender_name" in too_long.content.decode()
    with all_clients_scope():
        assert list(Mailbox.objects.values_list("address", "sender_name", "sender_address")) == [
            ("billing@acme.example", "", "")
        ]


def test_a_reply_goes_out_from_the_sender_and_signature_set_in_the_api(
    client, desk, manager, tenant_a, django_capture_on_commit_callbacks
):
    # given a mailbox branded through the API
    client.force_login(manager)
    pk = _post(
        client,
        _body(
            desk,
            sender_name="Acme Support",
            sender_address="support@acme.example",
            signature_text="Acme Support",
            signature_html=UNSAFE_HTML,
        ),
    ).json()["id"]
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.get(pk=pk)
        ticket = WorkItem.objects.get(pk=inbound.ingest(mailbox=box, raw=mail()).item_id)
        # when an agent replies
        with django_capture_on_commit_callbacks(execute=True):
            services.reply(actor=tenant_a.team_lead, ticket=ticket, body="It ships today.")
    # then the mail is from the sender, with the signature in words and in safe HTML
    [message] = sent_mail.outbox
    markup = message.alternatives[0].content
    assert message.from_email == "Acme Support <support@acme.example>"
    assert message.body.endswith("-- \nAcme Support")
    assert "Help</a>" in markup
    assert "<script" not in markup
    assert "javascript:" not in markup
    assert "tracker.example" not in markup
