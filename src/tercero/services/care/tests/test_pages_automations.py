"""Automation pages and API: who may set rules up (delivery managers and provider
admins, not agents or client users), the list with its search and filters, the editor's
checks and summary in words, switching on and off, the order, the log on the ticket."""

import json

import pytest

from tercero.delivery.work import outbox
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import inbound
from tercero.services.care.models import Automation, Mailbox
from tercero.services.care.services import automations as setup
from tercero.services.care.tests.test_inbound import mail

JSON = "application/json"


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Acme care")
    intake = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    billing = make_queue(engagement, name="Billing", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=intake, address="help@acme.example"
        )
    return {"engagement": engagement, "billing": billing, "mailbox": box}


def _rule(desk, name="Refunds to billing", **fields):
    with client_scope(clients=[desk["engagement"].client_id]):
        return setup.create_automation(
            actor=None,
            engagement=desk["engagement"],
            name=name,
            trigger=fields.pop("trigger", "created"),
            conditions=fields.pop(
                "conditions", [{"field": "subject", "operator": "contains", "value": "refund"}]
            ),
            actions=fields.pop(
                "actions", [{"action": "move_to_queue", "value": desk["billing"].pk}]
            ),
            **fields,
        )


def _stored() -> list[Automation]:
    with all_clients_scope():
        return list(Automation.objects.order_by("position", "id"))


def _audit_actions() -> list[str]:
    with all_clients_scope():
        return list(
            AuditEvent.objects.filter(action__startswith="care.automation").values_list(
                "action", flat=True
            )
        )


def test_agents_and_client_users_cannot_open_or_post_the_automation_pages(client, desk, tenant_a):
    rule = _rule(desk)
    # when an agent and a client admin try every page
    answers = []
    for person in (tenant_a.agent, tenant_a.client_admin):
        client.force_login(person)
        answers += [
            client.get("/care/automations/").status_code,
            client.get(f"/care/automations/new/?engagement={desk['engagement'].pk}").status_code,
            client.post(f"/care/automations/{rule.pk}/", {"name": "Mine"}).status_code,
            client.post(
                f"/care/automations/{rule.pk}/switch/", {"is_active": "0", "version": "1"}
            ).status_code,
        ]
    # then the agent is refused (403) and the client's user finds no such pages (404)
    assert answers == [403, 403, 403, 403, 404, 404, 404, 404]
    [rule] = _stored()
    assert (rule.name, rule.is_active, rule.version) == ("Refunds to billing", True, 1)
    assert _audit_actions() == ["care.automation.created"]


def test_the_list_shows_each_rule_in_words_and_searches_and_filters(client, desk, manager):
    _rule(desk)
    _rule(
        desk,
        name="Remind",
        trigger="waiting",
        conditions=[],
        actions=[{"action": "remind", "value": "Still there?"}],
        waited_business_days=2,
    )
    client.force_login(manager)
    page = client.get("/care/automations/").content.decode()
    assert (
        "When a ticket is created and the subject contains &quot;refund&quot;: "
        "move it to the queue Billing." in page
    )
    assert "When a ticket has waited on the customer for 2 business days" in page
    searched = client.get("/care/automations/?q=remi").content.decode()
    filtered = client.get("/care/automations/?trigger=created").content.decode()
    assert ("Refunds to billing" in searched, "Remind" in searched) == (False, True)
    assert ("Refunds to billing" in filtered, ">Remind<" in filtered) == (True, False)


def test_a_manager_writes_a_rule_on_the_page_and_sees_its_problems_then_its_summary(
    client, desk, manager
):
    client.force_login(manager)
    url = f"/care/automations/new/?engagement={desk['engagement'].pk}"
    form = {
        "engagement": desk["engagement"].pk,
        "name": "Refunds",
        "trigger": "created",
        "cond_0_field": "subject",
        "cond_0_operator": "contains",
        "cond_0_words": "refund, money back",
        "act_0_action": "move_to_queue",
        "act_0_choice": "",
    }
    # when the queue is not chosen
    refused = client.post(url, form)
    # then the page says what to choose, and nothing is stored
    assert refused.status_code == 200
    assert "a queue of this engagement" in refused.content.decode()
    assert _stored() == []
    # when it is
    saved = client.post(url, {**form, "act_0_choice": f"queue:{desk['billing'].pk}"}, follow=True)
    [rule] = _stored()
    assert saved.redirect_chain[-1][0] == f"/care/automations/{rule.pk}/"
    assert (
        'When a ticket is created and the subject contains "refund" or "money back": '
        "move it to the queue Billing."
    ) in saved.content.decode().replace("&quot;", '"')
    assert _audit_actions() == ["care.automation.created"]


def test_switching_off_and_moving_rules_on_the_page_is_audited(client, desk, manager):
    first, second = (
        _rule(desk),
        _rule(desk, name="Tag", actions=[{"action": "add_tag", "value": "x"}]),
    )
    client.force_login(manager)
    client.post(f"/care/automations/{first.pk}/switch/", {"is_active": "0", "version": "1"})
    client.post(f"/care/automations/{second.pk}/move/", {"to": "earlier"})
    second, first = _stored()
    assert (first.is_active, first.position, second.position) == (False, 2, 1)
    assert _audit_actions() == [
        "care.automation.created",
        "care.automation.created",
        "care.automation.disabled",
        "care.automation.reordered",
    ]


def test_the_ticket_page_shows_which_rule_fired_and_what_it_did(client, desk, tenant_a):
    _rule(desk)
    with client_scope(clients=[tenant_a.client]):
        outcome = inbound.ingest(mailbox=desk["mailbox"], raw=mail(subject="Refund please"))
    outbox.consume("care.automations")
    client.force_login(tenant_a.team_lead)
    panel = client.get(f"/care/tickets/{outcome.item_id}/").content.decode()
    assert "“Refunds to billing”: moved it to the queue Billing" in panel


def test_the_api_creates_lists_changes_orders_and_logs_rules(client, desk, manager, tenant_a):
    client.force_login(manager)
    body = {
        "engagement_id": desk["engagement"].pk,
        "name": "Refunds",
        "trigger": "created",
        "conditions": [{"field": "subject", "operator": "contains", "value": ["refund"]}],
        "actions": [{"action": "move_to_queue", "value": desk["billing"].pk}],
    }
    made = client.post("/api/v1/care/automations", json.dumps(body), content_type=JSON)
    assert made.status_code == 201
    rule = made.json()
    assert rule["summary"] == (
        'When a ticket is created and the subject contains "refund": move it to the queue Billing.'
    )
    bad = client.post(
        "/api/v1/care/automations",
        json.dumps({**body, "name": "X", "actions": []}),
        content_type=JSON,
    )
    assert (bad.status_code, bad.json()["error"]["fields"]) == (
        422,
        {"actions": "at least one action"},
    )
    tag = client.post(
        "/api/v1/care/automations",
        json.dumps(
            {
                **body,
                "name": "Tag",
                "conditions": [],
                "actions": [{"action": "add_tag", "value": "seen"}],
            }
        ),
        content_type=JSON,
    ).json()
    ordered = client.put(
        f"/api/v1/care/engagements/{desk['engagement'].pk}/automations/order",
        json.dumps({"order": [tag["id"], rule["id"]]}),
        content_type=JSON,
    )
    assert [r["name"] for r in ordered.json()] == ["Tag", "Refunds"]
    off = client.patch(
        f"/api/v1/care/automations/{tag['id']}",
        json.dumps({"version": tag["version"], "is_active": False}),
        content_type=JSON,
    )
    assert (off.status_code, off.json()["is_active"]) == (200, False)
    listed = client.get("/api/v1/care/automations?is_active=true").json()
    assert [r["name"] for r in listed] == ["Refunds"]
    # the log, through the API
    with client_scope(clients=[tenant_a.client]):
        outcome = inbound.ingest(mailbox=desk["mailbox"], raw=mail(subject="Refund please"))
    outbox.consume("care.automations")
    client.force_login(tenant_a.team_lead)
    [run] = client.get(f"/api/v1/care/tickets/{outcome.item_id}/automations").json()
    assert (run["rule"], run["did"], run["is_failed"]) == (
        "Refunds",
        ["moved it to the queue Billing"],
        False,
    )
    with all_clients_scope():
        assert WorkItem.objects.get(pk=outcome.item_id).queue_id == desk["billing"].pk


def test_an_agent_cannot_write_rules_through_the_api(client, desk, tenant_a):
    client.force_login(tenant_a.agent)
    body = {
        "engagement_id": desk["engagement"].pk,
        "name": "Mine",
        "trigger": "created",
        "actions": [{"action": "add_tag", "value": "x"}],
    }
    answer = client.post("/api/v1/care/automations", json.dumps(body), content_type=JSON)
    assert answer.status_code == 403
    assert _stored() == []
    assert client.get("/api/v1/care/automations").status_code == 403
