"""Copying one client's care set-up to another client's engagement: the preview changes
nothing, the copy holds only the target's ids, names the target uses are reported and
left alone, secrets stay behind, both trails record it, and only provider admins may."""

import json

import pytest

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care.models import (
    Automation,
    Checklist,
    CustomField,
    Macro,
    Mailbox,
    TierQueue,
)
from tercero.services.care.poller import set_imap_password
from tercero.services.care.services import automations, desk_setup

JSON = "application/json"


@pytest.fixture
def two_desks(tenant_a, tenant_b):
    source = live_engagement(
        tenant_a.client,
        name="Acme care",
        service_line="customer_care",
        sla_targets=[{"metric": "first_response", "priority": "P1", "target_seconds": 3600}],
    )
    target = live_engagement(tenant_b.client, name="Bergmann care", service_line="customer_care")
    queues = {}
    for engagement in (source, target):
        queues[engagement.pk] = {
            "email": make_queue(engagement, name="E-mail", work_types=["care.ticket"]),
            "l2": make_queue(engagement, name="Second line", work_types=["support.ticket"]),
        }
    with client_scope(clients=[tenant_a.client]):
        box = desk_setup.create_mailbox(
            actor=None,
            engagement=source,
            address="help@acme.example",
            queue_id=queues[source.pk]["email"].pk,
            acknowledgement="Thanks!",
            imap_host="imap.acme.example",
            imap_user="help",
        )
        set_imap_password(mailbox=box, password="acme-secret")
        macro = desk_setup.create_macro(actor=None, engagement=source, name="Refund", reply="Done")
        desk_setup.create_macro(actor=None, engagement=source, name="Hello", reply="Hi")
        CustomField.objects.create(
            client=tenant_a.client, engagement=source, key="order", label="Order number"
        )
        Checklist.objects.create(
            client=tenant_a.client, product="Router", title="No light", steps=["Power-cycle"]
        )
        TierQueue.objects.create(
            client=tenant_a.client, engagement=source, tier="L2", queue=queues[source.pk]["l2"]
        )
        automations.create_automation(
            actor=None,
            engagement=source,
            name="Refunds",
            trigger="created",
            conditions=[{"field": "mailbox", "operator": "is", "value": box.pk}],
            actions=[
                {"action": "move_to_queue", "value": queues[source.pk]["email"].pk},
                {"action": "apply_macro", "value": macro.pk},
            ],
        )
    with client_scope(clients=[tenant_b.client]):
        desk_setup.create_macro(actor=None, engagement=target, name="Hello", reply="Hallo")
    return {"source": source, "target": target, "box": box, "queues": queues}


def _copy(client, desks, *, confirm: bool, addresses=None):
    body = {
        "source_engagement_id": desks["source"].pk,
        "target_engagement_id": desks["target"].pk,
        "mailbox_addresses": (
            {str(desks["box"].pk): "hilfe@bergmann.example"} if addresses is None else addresses
        ),
        "confirm": confirm,
    }
    return client.post("/api/v1/care/setup-copies", json.dumps(body), content_type=JSON)


def _rows(model, **where):
    with all_clients_scope():
        return list(model.objects.filter(**where).order_by("id"))


def test_the_preview_lists_every_step_and_changes_nothing(client, two_desks, provider_admin):
    client.force_login(provider_admin)
    preview = _copy(client, two_desks, confirm=False)
    steps = [(s["kind"], s["name"], s["outcome"]) for s in preview.json()["steps"]]
    assert steps == [
        ("mailbox", "help@acme.example as hilfe@bergmann.example", "copy"),
        ("macro", "Hello", "clash"),
        ("macro", "Refund", "copy"),
        ("custom_field", "Order number (order)", "copy"),
        ("checklist", "Router: No light", "copy"),
        ("tier", "L2", "copy"),
        ("automation", "Refunds", "copy"),
        ("sla_target", "First response, P1: within 1 hour of business time", "copy"),
    ]
    assert _rows(Macro, engagement=two_desks["target"]) != []
    assert len(_rows(Macro, engagement=two_desks["target"])) == 1
    assert _rows(Mailbox, engagement=two_desks["target"]) == []


def test_the_copy_holds_only_the_targets_ids_and_keeps_secrets_behind(
    client, two_desks, provider_admin, tenant_b
):
    client.force_login(provider_admin)
    done = _copy(client, two_desks, confirm=True)
    assert done.json()["done"] is True
    target = two_desks["target"]
    their = two_desks["queues"][target.pk]
    [box] = _rows(Mailbox, engagement=target)
    assert (box.address, box.queue_id, box.acknowledgement, box.imap_host) == (
        "hilfe@bergmann.example",
        their["email"].pk,
        "Thanks!",
        "imap.acme.example",
    )
    assert (box.imap_user, box.imap_password, box.client_id) == ("", "", tenant_b.client.pk)
    hello, refund = sorted(_rows(Macro, engagement=target), key=lambda m: m.name)
    assert (hello.reply, refund.reply) == ("Hallo", "Done")
    [rule] = _rows(Automation, engagement=target)
    assert rule.conditions == [{"field": "mailbox", "operator": "is", "value": box.pk}]
    assert rule.actions == [
        {"action": "move_to_queue", "value": their["email"].pk},
        {"action": "apply_macro", "value": refund.pk},
    ]
    [tier] = _rows(TierQueue, engagement=target)
    assert tier.queue_id == their["l2"].pk
    assert [c.client_id for c in _rows(Checklist, product="Router")] == [
        two_desks["source"].client_id,
        tenant_b.client.pk,
    ]
    with all_clients_scope():
        target.refresh_from_db()
    assert target.sla_targets == [
        {"metric": "first_response", "priority": "P1", "target_seconds": 3600}
    ]
    with all_clients_scope():
        copied = AuditEvent.objects.filter(action__startswith="care.setup.copied").order_by("id")
        assert [(e.action, e.client_id, e.payload["copy"], e.payload["clash"]) for e in copied] == [
            ("care.setup.copied", tenant_b.client.pk, 7, 1),
            ("care.setup.copied_out", two_desks["source"].client_id, 7, 1),
        ]


def test_a_second_copy_reports_every_name_as_taken(client, two_desks, provider_admin):
    client.force_login(provider_admin)
    _copy(client, two_desks, confirm=True)
    again = _copy(client, two_desks, confirm=True).json()["steps"]
    assert {s["outcome"] for s in again} == {"clash"}
    assert len(_rows(Macro, engagement=two_desks["target"])) == 2


def test_a_rule_whose_queue_the_target_lacks_is_skipped_with_why(client, two_desks, provider_admin):
    client.force_login(provider_admin)
    steps = _copy(client, two_desks, confirm=False, addresses={})
    said = {(s["kind"], s["name"]): (s["outcome"], s["reason"]) for s in steps.json()["steps"]}
    assert said[("mailbox", "help@acme.example")] == ("skip", "no new address given for it")
    assert said[("automation", "Refunds")] == ("skip", "its mailbox is not copied to the target")


def test_only_a_provider_admin_copies_and_others_ids_are_404(
    client, two_desks, manager, tenant_a, provider_admin
):
    client.force_login(manager)  # a delivery manager granted client A only
    assert _copy(client, two_desks, confirm=True).status_code == 404
    client.force_login(provider_admin)
    body = {
        "source_engagement_id": two_desks["source"].pk,
        "target_engagement_id": 10**12,
        "confirm": True,
    }
    missing = client.post("/api/v1/care/setup-copies", json.dumps(body), content_type=JSON)
    assert missing.status_code == 404
    same = {**body, "target_engagement_id": two_desks["source"].pk}
    refused = client.post("/api/v1/care/setup-copies", json.dumps(same), content_type=JSON)
    assert refused.status_code == 422
    assert _rows(Mailbox, engagement=two_desks["target"]) == []
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action__startswith="care.setup.").exists()


def test_a_delivery_manager_of_both_clients_may_not_copy(client, two_desks, manager, tenant_b):
    from tercero.platform.identity.models import Grant

    with all_clients_scope():
        Grant.objects.create(user=manager, client=tenant_b.client, reason="manages Bergmann")
    client.force_login(manager)
    assert _copy(client, two_desks, confirm=True).status_code == 403
    assert _rows(Mailbox, engagement=two_desks["target"]) == []
