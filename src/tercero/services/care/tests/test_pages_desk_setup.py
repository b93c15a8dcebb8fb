"""Setting up mailboxes and macros on pages and in the API, without Django admin: who may
(care:setup holders, not agents or client users), the checks against the engagement,
the IMAP password kept sealed, and an audit event for each change."""

import json

import pytest

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.security.crypto import open_secret
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.care.models import Macro, Mailbox
from tercero.services.care.poller import SECRET_CONTEXT

JSON = "application/json"


@pytest.fixture
def desk(tenant_a, tenant_b):
    engagement = live_engagement(tenant_a.client, name="Acme care")
    other = live_engagement(tenant_b.client, name="Bergmann care")
    return {
        "engagement": engagement,
        "queue": make_queue(engagement, name="E-mail", work_types=["care.ticket"]),
        "theirs": make_queue(other, name="Theirs", work_types=["care.ticket"]),
        "other": other,
    }


def _stored(model) -> list:
    with all_clients_scope():
        return list(model.objects.order_by("id"))


def _audited() -> list[str]:
    with all_clients_scope():
        return list(
            AuditEvent.objects.filter(action__regex=r"^care\.(mailbox|macro)\.").values_list(
                "action", flat=True
            )
        )


def test_agents_and_client_users_cannot_set_up_mailboxes_or_macros(client, desk, tenant_a):
    answers = []
    for person in (tenant_a.agent, tenant_a.client_admin):
        client.force_login(person)
        for url in ("/care/mailboxes/", "/care/macros/"):
            answers.append(client.get(url).status_code)
        answers.append(
            client.post(
                f"/care/mailboxes/new/?engagement={desk['engagement'].pk}",
                {"address": "x@acme.example", "queue_id": desk["queue"].pk, "imap_port": "993"},
            ).status_code
        )
        answers.append(
            client.post(
                "/api/v1/care/macros",
                json.dumps({"engagement_id": desk["engagement"].pk, "name": "M", "reply": "Hi"}),
                content_type=JSON,
            ).status_code
        )
    assert answers == [403, 403, 403, 403, 404, 404, 404, 403]
    assert (_stored(Mailbox), _stored(Macro), _audited()) == ([], [], [])


def test_a_manager_adds_a_mailbox_on_the_page_with_its_password_sealed(client, desk, manager):
    client.force_login(manager)
    url = f"/care/mailboxes/new/?engagement={desk['engagement'].pk}"
    form = {
        "engagement": desk["engagement"].pk,
        "address": "Billing@Acme.example",
        "queue_id": desk["queue"].pk,
        "work_type": "support.ticket",
        "acknowledgement": "Thanks, we are on it.",
        "is_active": "on",
        "imap_host": "imap.acme.example",
        "imap_port": "993",
        "imap_user": "billing",
        "imap_password": "s3cret-pass",
        "imap_folder": "INBOX",
    }
    # when the queue does not take support tickets
    refused = client.post(url, form)
    assert "a queue that takes support.ticket items" in refused.content.decode()
    assert _stored(Mailbox) == []
    # when it is fixed
    saved = client.post(url, {**form, "work_type": "care.ticket"}, follow=True)
    [box] = _stored(Mailbox)
    assert saved.redirect_chain[-1][0] == f"/care/mailboxes/{box.pk}/"
    assert (box.address, box.acknowledgement, box.imap_user) == (
        "billing@acme.example",
        "Thanks, we are on it.",
        "billing",
    )
    assert open_secret(box.imap_password, context=SECRET_CONTEXT) == "s3cret-pass"
    assert "s3cret-pass" not in saved.content.decode()
    listed = client.get("/care/mailboxes/?q=billing").content.decode()
    assert "billing@acme.example" in listed
    assert _audited() == ["care.mailbox.created"]


def test_a_manager_writes_and_changes_a_macro_on_the_page(client, desk, manager):
    client.force_login(manager)
    client.post(
        f"/care/macros/new/?engagement={desk['engagement'].pk}",
        {
            "engagement": desk["engagement"].pk,
            "name": "Ask for the order",
            "reply": "Could you send your order number?",
            "add_tags": "order, Asked",
            "set_priority": "",
            "then": "wait",
            "is_active": "on",
        },
    )
    [macro] = _stored(Macro)
    assert (macro.add_tags, macro.set_priority, macro.then) == (["asked", "order"], None, "wait")
    page = client.post(
        f"/care/macros/{macro.pk}/",
        {"name": "Ask for the order", "reply": "", "add_tags": "", "then": ""},
    )
    assert "a reply, tags, a priority or a next step" in page.content.decode()
    client.post(
        f"/care/macros/{macro.pk}/",
        {"name": "Ask for the order", "reply": "Your order number?", "then": "wait"},
    )
    [macro] = _stored(Macro)
    assert (macro.reply, macro.add_tags, macro.is_active) == ("Your order number?", [], False)
    assert "Wait on the customer" in client.get("/care/macros/").content.decode()
    assert _audited() == ["care.macro.created", "care.macro.changed"]


def test_the_api_sets_up_mailboxes_and_macros_of_the_callers_clients_only(client, desk, manager):
    client.force_login(manager)
    body = {
        "engagement_id": desk["engagement"].pk,
        "address": "help@acme.example",
        "queue_id": desk["theirs"].pk,
    }
    wrong_queue = client.post("/api/v1/care/mailboxes", json.dumps(body), content_type=JSON)
    assert (wrong_queue.status_code, wrong_queue.json()["error"]["fields"]) == (
        422,
        {"queue_id": "a queue of this engagement"},
    )
    other = client.post(
        "/api/v1/care/mailboxes",
        json.dumps({**body, "engagement_id": desk["other"].pk}),
        content_type=JSON,
    )
    assert other.status_code == 404
    made = client.post(
        "/api/v1/care/mailboxes",
        json.dumps({**body, "queue_id": desk["queue"].pk, "imap_password": "pw"}),
        content_type=JSON,
    )
    assert made.status_code == 201
    assert (made.json()["has_imap_password"], "pw" in made.content.decode()) == (True, False)
    changed = client.patch(
        f"/api/v1/care/mailboxes/{made.json()['id']}",
        json.dumps({"acknowledgement": "Got it."}),
        content_type=JSON,
    )
    assert changed.json()["acknowledgement"] == "Got it."
    macro = client.post(
        "/api/v1/care/macros",
        json.dumps(
            {
                "engagement_id": desk["engagement"].pk,
                "name": "Resolve",
                "reply": "Done!",
                "then": "resolve",
                "set_priority": 2,
            }
        ),
        content_type=JSON,
    )
    assert macro.status_code == 201
    again = client.post(
        "/api/v1/care/macros",
        json.dumps({"engagement_id": desk["engagement"].pk, "name": "Resolve", "reply": "x"}),
        content_type=JSON,
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/care/macros").json()
    assert ([m["name"] for m in listed["results"]], listed["next"]) == (["Resolve"], None)
    assert _audited() == ["care.mailbox.created", "care.mailbox.changed", "care.macro.created"]
