"""Automations, rule by rule: conditions on fields and content, each trigger, the order,
the log on the ticket, a refused action, and what a person may write."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail as sent_mail

from tercero.delivery.work import outbox
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import automation_rules, automations, inbound
from tercero.services.care.models import AutomationRun, Macro, Mailbox, Message
from tercero.services.care.services import automations as setup
from tercero.services.care.tests.test_inbound import mail

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(tenant_a):
    targets = [
        {"metric": "first_response", "target_seconds": 3600},
        {"metric": "resolution", "target_seconds": 8 * 3600},
    ]
    engagement = live_engagement(tenant_a.client, name="Care", sla_targets=targets)
    intake = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    urgent = make_queue(engagement, name="Urgent", work_types=["care.ticket"])
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client,
            engagement=engagement,
            queue=intake,
            address="help@acme.example",
            acknowledgement="We have your message.",
        )
        yield {"engagement": engagement, "mailbox": box, "urgent": urgent}


def _rule(desk, tenant, name, trigger, conditions, actions, **fields):
    return setup.create_automation(
        actor=tenant.team_lead,
        engagement=desk["engagement"],
        name=name,
        trigger=trigger,
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        actions=[{"action": a, "value": v} for a, v in actions],
        **fields,
    )


def _arrive(desk, **fields) -> WorkItem:
    ticket = WorkItem.objects.get(
        pk=inbound.ingest(mailbox=desk["mailbox"], raw=mail(**fields)).item_id
    )
    outbox.consume("care.automations")
    ticket.refresh_from_db()
    return ticket


def _log(ticket) -> list[tuple[str, list[str]]]:
    return [(r.automation.name, r.did) for r in AutomationRun.objects.filter(item=ticket)]


def test_a_keyword_in_the_body_routes_raises_and_tags_and_the_ticket_says_so(desk, tenant_a):
    # given a rule on the body's words, and one after it that reads the queue it set
    _rule(
        desk,
        tenant_a,
        "Outages are urgent",
        "created",
        [("body", "contains", "outage, down"), ("channel", "is", "email")],
        [("move_to_queue", desk["urgent"].pk), ("set_priority", "1")],
    )
    _rule(
        desk,
        tenant_a,
        "Tag urgent",
        "created",
        [("queue", "is", desk["urgent"].pk)],
        [("add_tag", "urgent")],
    )
    # when one customer reports an outage and another asks about an order
    outage = _arrive(desk, body="The site is DOWN since 8am", message_id="<o1@example.org>")
    order = _arrive(
        desk, sender="b@example.org", body="Where is my parcel?", message_id="<o2@example.org>"
    )
    # then only the outage moved, in order, and its log says what each rule did
    assert (outage.queue_id, outage.priority, outage.payload["tags"]) == (
        desk["urgent"].pk,
        1,
        ["urgent"],
    )
    assert _log(outage) == [
        ("Outages are urgent", ["moved it to the queue Urgent", "set the priority to P1"]),
        ("Tag urgent", ["added the tag urgent"]),
    ]
    assert (order.queue_id, order.payload["tags"], _log(order)) == (
        desk["mailbox"].queue_id,
        [],
        [],
    )


def test_the_acknowledgement_goes_once_from_the_mailbox_and_is_no_first_response(
    desk, tenant_a, django_capture_on_commit_callbacks
):
    _rule(desk, tenant_a, "Acknowledge", "created", [], [("acknowledge", "")])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _arrive(desk)
        outbox.consume("care.automations")  # a second pass sends nothing again
    [sent] = sent_mail.outbox
    assert (sent.body, sent.from_email, sent.to) == (
        "We have your message.",
        "help@acme.example",
        ["maria@example.org"],
    )
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert inbound.token_of(ticket) in sent.subject
    assert ticket.first_response_at is None
    assert (
        Message.objects.filter(item=ticket, direction="outbound", auto_generated=True).count() == 1
    )


def test_customer_replied_fires_on_their_mail_not_on_the_agents_changes(desk, tenant_a):
    _rule(
        desk,
        tenant_a,
        "Customer chased",
        "customer_replied",
        [("body", "contains", "again")],
        [("add_tag", "chased")],
    )
    _rule(desk, tenant_a, "Person changed", "updated", [], [("add_tag", "touched")])
    ticket = _arrive(desk)
    # when the agent changes the priority, then the customer writes twice
    work.update_item(
        actor=tenant_a.team_lead, item=ticket, version=ticket.version, changes={"priority": 2}
    )
    outbox.consume("care.automations")
    for n, body in enumerate(("Any news?", "Writing again!")):
        inbound.ingest(
            mailbox=desk["mailbox"],
            raw=mail(
                subject=f"Re: x {inbound.token_of(ticket)}",
                body=body,
                message_id=f"<r{n}@example.org>",
            ),
        )
        outbox.consume("care.automations")
    # then the person's change fired once (the rules' own tag changes fire nothing)
    ticket.refresh_from_db()
    assert sorted(ticket.payload["tags"]) == ["chased", "touched"]
    assert [name for name, _ in _log(ticket)] == ["Person changed", "Customer chased"]
    assert WorkEvent.objects.filter(item=ticket, kind="care.customer.replied").count() == 2


def test_sla_near_breach_notifies_the_team_lead_without_customer_details(
    desk, tenant_a, django_capture_on_commit_callbacks
):
    _rule(desk, tenant_a, "Warn the lead", "sla_near", [], [("notify", tenant_a.team_lead.pk)])
    with time_machine.travel(START, tick=False):
        ticket = _arrive(desk)
    with (
        time_machine.travel(START + timedelta(days=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        work.sweep()
        outbox.consume("care.automations")
    assert [m.to for m in sent_mail.outbox] == [["lead@acme.example"]] * len(sent_mail.outbox)
    assert len(sent_mail.outbox) == AutomationRun.objects.filter(item=ticket).count() >= 1
    assert "maria" not in sent_mail.outbox[0].body.lower()
    assert f"/work/items/{ticket.pk}/" in sent_mail.outbox[0].body


def test_a_refused_action_is_logged_on_the_ticket_with_nothing_of_the_rule_kept(desk, tenant_a):
    # given a macro that sets the ticket waiting, which a new ticket cannot do
    macro = Macro.objects.create(
        client=tenant_a.client,
        engagement=desk["engagement"],
        name="Ask",
        add_tags=["asked"],
        then="wait",
    )
    _rule(desk, tenant_a, "Ask at once", "created", [], [("apply_macro", macro.pk)])
    ticket = _arrive(desk)
    [run] = AutomationRun.objects.filter(item=ticket)
    assert run.is_failed
    assert run.did == ["refused: An item that is queued cannot wait."]
    assert ticket.payload["tags"] == []


def test_a_switched_off_rule_runs_on_nothing(desk, tenant_a):
    rule = _rule(desk, tenant_a, "Tag", "created", [], [("add_tag", "x")])
    setup.set_active(
        actor=tenant_a.team_lead, automation=rule, is_active=False, version=rule.version
    )
    assert _arrive(desk).payload["tags"] == []


def test_a_rule_that_names_another_engagements_queue_or_a_wrong_action_is_refused(
    desk, tenant_a, tenant_b
):
    other = make_queue(
        live_engagement(tenant_b.client, name="Other"), name="Theirs", work_types=["care.ticket"]
    )
    with pytest.raises(InvalidInput) as refused:
        _rule(
            desk,
            tenant_a,
            "Bad",
            "created",
            [("subject", "is", "x")],
            [("move_to_queue", other.pk), ("close", "")],
        )
    assert refused.value.fields == {
        "conditions.0.operator": "one of contains, does_not_contain",
        "actions.0.value": "a queue of this engagement",
        "actions.1.action": "only when a ticket has waited on the customer",
    }
    assert not AutomationRun.objects.exists()


def test_two_rules_of_one_engagement_cannot_share_a_name_and_a_stale_edit_is_refused(
    desk, tenant_a
):
    rule = _rule(desk, tenant_a, "Tag", "created", [], [("add_tag", "x")])
    with pytest.raises(Conflict):
        _rule(desk, tenant_a, "Tag", "created", [], [("add_tag", "y")])
    setup.update_automation(actor=tenant_a.team_lead, automation=rule, version=1, name="Tag x")
    with pytest.raises(Conflict):
        setup.update_automation(actor=tenant_a.team_lead, automation=rule, version=1, name="Tag z")


def test_rules_are_told_in_words(desk, tenant_a):
    rule = _rule(
        desk,
        tenant_a,
        "Refunds",
        "created",
        [("subject", "contains", "refund, money back"), ("priority", "is_not", "1")],
        [("move_to_queue", desk["urgent"].pk), ("add_tag", "refund")],
    )
    waiting = _rule(desk, tenant_a, "Close", "waiting", [], [("close", "")], waited_business_days=5)
    assert setup.describe(rule) == (
        'When a ticket is created and the subject contains "refund" or "money back" and the '
        "priority is not P1: move it to the queue Urgent, then add the tag refund."
    )
    assert setup.describe(waiting) == (
        "When a ticket has waited on the customer for 5 business days: close it."
    )


@pytest.mark.parametrize(
    ("words", "subject", "holds"),
    [
        (["Refund"], "Need a REFUND please", True),
        (["money back"], "I want my money  back", False),
        (["geld zurück"], "GELD ZURÜCK bitte", True),
        (["refund"], "Order 12", False),
    ],
)
def test_text_conditions_ignore_case(words, subject, holds):
    facts = automation_rules.Facts(subject, "", "email", 3, frozenset(), None, 1)
    condition = {"field": "subject", "operator": "contains", "value": words}
    assert automation_rules.matches([condition], facts) is holds


def test_the_waiting_rule_counts_business_days_in_the_engagements_calendar(tenant_a):
    # given a Monday-to-Friday engagement and a ticket set waiting on Friday at 15:00
    from tests.factories import engagement_for

    weekdays = {str(d): [["09:00", "17:00"]] for d in range(5)}
    engagement = engagement_for(
        tenant_a.client, name="Weekdays", status="live", working_hours=weekdays
    )
    queue = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    agent = make_agent(engagement, skills={"customer_care": 3})
    with client_scope(clients=[tenant_a.client]):
        rule = setup.create_automation(
            actor=None,
            engagement=engagement,
            name="Remind",
            trigger="waiting",
            actions=[{"action": "add_tag", "value": "reminded"}],
            waited_business_days=2,
        )
        friday = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # 15:00 in New York
        with time_machine.travel(friday, tick=False):
            ticket = work.create_item(
                actor=None, queue=queue, work_type="care.ticket", payload={"subject": "Hi"}
            )
            ticket = work.assign(actor=tenant_a.team_lead, item=ticket, agent=agent)
            ticket = work.transition(actor=tenant_a.team_lead, item=ticket, action="start")
            work.transition(
                actor=tenant_a.team_lead, item=ticket, action="wait", waiting_on="customer"
            )
        # when the job runs on Monday evening, then Tuesday 15:00 in New York (DST began Sunday)
        monday = automations.run_waiting_rules(now=datetime(2026, 3, 9, 23, 0, tzinfo=UTC))
        tuesday = automations.run_waiting_rules(now=datetime(2026, 3, 10, 19, 0, tzinfo=UTC))
        again = automations.run_waiting_rules(now=datetime(2026, 3, 12, 19, 0, tzinfo=UTC))
        occasions = [r.occasion for r in AutomationRun.objects.filter(automation=rule)]
    # then two business days are up on Tuesday 15:00, and it fires once
    assert (monday, tuesday, again) == (0, 1, 0)
    assert occasions == ["waiting since 2026-03-06T20:00:00+00:00"]
