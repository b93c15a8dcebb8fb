"""Issue 19, automations' acceptance: an automation set (acknowledge, route by keyword,
remind after 2 business days, close after 5) runs on a simulated month of tickets with
the expected counts, exactly once per ticket and rule, with the time job and the outbox
run by two workers at once on PostgreSQL (one after the other on SQLite).

The month: March 2026 at Acme (New York, Monday to Friday 09:00-17:00; the clocks go
forward on 8 March). On each of its 22 business days six customers write at 10:00
local time, one of each kind:

  0  "refund" in the subject, worked at once          -> acknowledged, routed
  1  asked for details at 11:00, answers the next business day  -> acknowledged
  2  asked for details, never answers                 -> acknowledged, reminded, closed
  3  asked for details, answers 3 business days later -> acknowledged, reminded
  4  writes through the web form (not e-mail)         -> nothing
  5  "refund" in the subject, asked, never answers    -> acknowledged, routed, reminded, closed
"""

import queue
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail as sent_mail
from django.db import connection, connections
from tests.factories import engagement_for

from tercero.delivery.engagements.business_time import BusinessCalendar
from tercero.delivery.work import outbox
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import make_agent, make_queue
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import automations, chat, inbound
from tercero.services.care.models import AutomationRun, Mailbox, WebChannel
from tercero.services.care.services import automations as setup
from tercero.services.care.tests.test_inbound import mail

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {str(d): [["09:00", "17:00"]] for d in range(5)}
ACKNOWLEDGEMENT = "Thank you for writing to Acme. We answer within one business day."
REMINDER = "We are still waiting for your answer: could you send us the details?"
MONTH_END = datetime(2026, 4, 1, tzinfo=NEW_YORK)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def _desk(tenant):
    engagement = engagement_for(tenant.client, name="Care", status="live", working_hours=WEEKDAYS)
    intake = make_queue(engagement, name="E-mail", work_types=["care.ticket"])
    billing = make_queue(engagement, name="Billing", work_types=["care.ticket"])
    agent = make_agent(
        engagement, skills={"customer_care": 3}, capacity={"email": 999, "web_form": 999}
    )
    with client_scope(clients=[tenant.client]):
        box = Mailbox.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=intake,
            address="help@acme.example",
            acknowledgement=ACKNOWLEDGEMENT,
        )
        form = WebChannel.objects.create(
            client=tenant.client, engagement=engagement, queue=intake, key="acme-help"
        )
        for name, fields in (
            (
                "Acknowledge e-mail",
                _rule("created", [("channel", "is", "email")], [("acknowledge", "")]),
            ),
            (
                "Refunds to billing",
                _rule(
                    "created",
                    [("subject", "contains", "refund, money back")],
                    [("move_to_queue", billing.pk), ("add_tag", "refund")],
                ),
            ),
            ("Remind after 2 days", _rule("waiting", [], [("remind", REMINDER)], days=2)),
            ("Close after 5 days", _rule("waiting", [], [("close", "")], days=5)),
        ):
            setup.create_automation(
                actor=tenant.team_lead, engagement=engagement, name=name, **fields
            )
    return {"engagement": engagement, "mailbox": box, "form": form, "agent": agent}


def _rule(trigger, conditions, actions, days=None) -> dict:
    return {
        "trigger": trigger,
        "conditions": [{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        "actions": [{"action": a, "value": v} for a, v in actions],
        "waited_business_days": days,
    }


def _timeline(desk, tenant) -> list[tuple[datetime, Callable[[], None]]]:
    """Every customer's and agent's step in the month, by the time it happens."""
    calendar = BusinessCalendar.of(desk["engagement"])
    steps = []
    day = date(2026, 3, 1)
    number = 0
    while day.month == 3:
        if calendar.is_working_day(day):
            for kind in range(6):
                number += 1
                steps += _ticket_steps(desk, tenant, calendar, day, kind, number)
        day += timedelta(days=1)
    return [step for step in steps if step[0] < MONTH_END.astimezone(UTC)]


def _ticket_steps(desk, tenant, calendar, day, kind, number):
    arrived, asked = _local(day, 10), _local(day, 11)
    ticket: dict[str, int] = {}
    subject = f"Refund for order {number}" if kind in (0, 5) else f"Question {number}"
    sender = f"Customer {number} <c{number}@example.org>"

    def arrive():
        if kind == 4:
            made = chat.submit_form(
                channel=desk["form"],
                name=f"Customer {number}",
                email=f"c{number}@example.org",
                subject=subject,
                message="Hello",
            )
            ticket["id"] = made.pk
        else:
            raw = mail(sender=sender, subject=subject, message_id=f"<t{number}@example.org>")
            ticket["id"] = inbound.ingest(mailbox=desk["mailbox"], raw=raw).item_id

    def ask():
        item = WorkItem.objects.get(pk=ticket["id"])
        if item.status == "queued":
            item = work.assign(actor=tenant.team_lead, item=item, agent=desk["agent"])
        item = work.transition(actor=tenant.team_lead, item=item, action="start")
        work.transition(actor=tenant.team_lead, item=item, action="wait", waiting_on="customer")

    def answer():
        token = inbound.token_of(ticket["id"])
        raw = mail(
            sender=sender,
            subject=f"Re: {subject} {token}",
            body="Here it is.",
            message_id=f"<a{number}@example.org>",
        )
        inbound.ingest(mailbox=desk["mailbox"], raw=raw)

    steps = [(arrived, arrive)]
    if kind in (1, 2, 3, 5):
        steps.append((asked, ask))
    if kind in (1, 3):
        later = calendar.add_business_days(_local(day, 10, 30), 1 if kind == 1 else 3)
        steps.append((later, answer))
    return steps


def _ticks() -> list[datetime]:
    """When the time job runs: at 08:00 and 13:00 local time every day of the month."""
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(31)]
    return [_local(day, hour) for day in days for hour in (8, 13)]


TICKS = frozenset(_ticks())


class _Workers:
    """Threads that live for the whole month, each with its own database connection, and
    run every job at once (PostgreSQL); with one, the job runs twice in a row (SQLite).
    Threads and connections made anew for each of the month's moments cost more than the
    jobs: each new server process loads its catalogue caches again."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.start = threading.Barrier(count) if count > 1 else None
        self.inboxes: list[queue.Queue] = [queue.Queue() for _ in range(count)]
        self.outcomes: queue.Queue = queue.Queue()
        self.threads = [
            threading.Thread(target=self._serve, args=(inbox,)) for inbox in self.inboxes
        ]

    def __enter__(self) -> "_Workers":
        if self.count > 1:
            for thread in self.threads:
                thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.count > 1:
            for inbox in self.inboxes:
                inbox.put(None)
            for thread in self.threads:
                thread.join()

    def _serve(self, inbox: queue.Queue) -> None:
        try:
            while (job := inbox.get()) is not None:
                try:
                    assert self.start is not None
                    self.start.wait()
                    job()
                except BaseException as error:  # handed to the thread that waits
                    self.outcomes.put(error)
                else:
                    self.outcomes.put(None)
        finally:
            connections.close_all()

    def run(self, job: Callable[[], object]) -> None:
        if self.count == 1:
            job()
            job()
            return
        for inbox in self.inboxes:
            inbox.put(job)
        errors = [self.outcomes.get() for _ in self.inboxes]
        for error in errors:
            if error is not None:
                raise error


def _simulate_month(tenant, workers: int) -> dict:
    """Play the month: the people's steps at their times (the outbox drained after each
    moment's steps), the time job at its ticks."""
    desk = _desk(tenant)
    moments: dict[datetime, list] = {at: [] for at in _ticks()}
    for at, step in _timeline(desk, tenant):
        moments.setdefault(at, []).append(step)
    with _Workers(workers) as run:
        for at in sorted(moments):
            with time_machine.travel(at, tick=False):
                with client_scope(clients=[tenant.client]):
                    for step in moments[at]:
                        step()
                if moments[at]:
                    run.run(lambda: outbox.consume("care.automations"))
                if at in TICKS:
                    run.run(automations.run_waiting_rules)
    return desk


def _counts(desk) -> dict[str, int]:
    with all_clients_scope():
        runs = AutomationRun.objects.filter(automation__engagement=desk["engagement"])
        by_rule = {
            name: runs.filter(automation__name=name, is_failed=False).count()
            for name in (
                "Acknowledge e-mail",
                "Refunds to billing",
                "Remind after 2 days",
                "Close after 5 days",
            )
        }
        by_rule["failed"] = runs.filter(is_failed=True).count()
        by_rule["twice"] = runs.count() - runs.values("item", "automation").distinct().count()
        items = WorkItem.objects.filter(engagement=desk["engagement"])
        by_rule["tickets"] = items.count()
        by_rule["in billing"] = items.filter(queue__name="Billing").count()
        by_rule["closed"] = items.filter(status="closed").count()
    by_rule["acknowledgements mailed"] = sum(m.body == ACKNOWLEDGEMENT for m in sent_mail.outbox)
    by_rule["reminders mailed"] = sum(m.body == REMINDER for m in sent_mail.outbox)
    return by_rule


# 22 business days in March 2026, six tickets each. By the month's end (Tuesday 31
# March) a ticket asked on 27 March has waited 2 business days, one asked on 24 March 5:
# reminders come for 20 of the 22 days, closing for 17
EXPECTED = {
    "tickets": 132,
    "Acknowledge e-mail": 110,  # every e-mail ticket, not the 22 web forms
    "acknowledgements mailed": 110,
    "Refunds to billing": 44,  # kinds 0 and 5
    "in billing": 44,
    "Remind after 2 days": 60,  # kinds 2, 3 and 5 of 20 days
    "reminders mailed": 60,
    "Close after 5 days": 34,  # kinds 2 and 5 of 17 days
    "closed": 34,
    "failed": 0,
    "twice": 0,
}


def test_a_month_of_tickets_gets_the_automation_sets_expected_counts_once_each(
    tenant_a, transactional_db
):
    # given the set and a month of customers; when two workers run every job at once
    # (PostgreSQL), or one after the other (SQLite has one writer at a time)
    desk = _simulate_month(tenant_a, workers=2 if connection.vendor == "postgresql" else 1)
    # then
    assert _counts(desk) == EXPECTED
