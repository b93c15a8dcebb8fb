"""Productive hours from presence (available or busy; breaks and offline excluded), split
equally between the engagements an agent is cleared for, per day of the client's
calendar; FTE per month from clearances on the month's last day. Re-running changes
nothing."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from tercero.delivery.workforce.services import set_presence
from tercero.governance.billing import productive
from tercero.governance.billing.models import UsageRecord
from tercero.governance.billing.tests.world import agent_for, live_engagement, usage_rows
from tercero.platform.tenancy.scoping import all_clients_scope

NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 11, 3)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def a_working_day(agent) -> None:
    """09:00 available, 12:00 on a break, 12:30 busy, 17:00 offline (New York): 7.5 hours
    productive."""
    for moment, presence in (
        (at(9), "available"),
        (at(12), "break"),
        (at(12, 30), "busy"),
        (at(17), "offline"),
    ):
        with time_machine.travel(moment, tick=False):
            set_presence(agent=agent, presence=presence)


def meter_day(client, day: date = DAY) -> None:
    with time_machine.travel(at(12, day=date(2026, 11, 20)), tick=False), all_clients_scope():
        productive.meter_day(client=client, day=day)


def test_a_day_of_presence_gives_its_productive_hours_without_the_break(tenant_a):
    # given an agent in Manila cleared for one engagement, working 7.5 hours with a break
    with time_machine.travel(at(8), tick=False):
        engagement = live_engagement(tenant_a.client)
        agent = agent_for(engagement, available=False)
    a_working_day(agent)
    # when the day is metered
    meter_day(tenant_a.client)
    # then 7.5 productive hours, offshore, for the client's day
    with all_clients_scope():
        [row] = UsageRecord.objects.filter(client=tenant_a.client)
    assert (row.unit, row.quantity, row.shore, row.site_id) == (
        "productive_hour",
        Decimal("7.5"),
        "offshore",
        agent.site_id,
    )
    assert row.source_key == f"presence:{agent.pk}:{engagement.pk}:2026-11-03"
    assert row.period == date(2026, 11, 1)


def test_an_agent_cleared_for_two_engagements_splits_the_day_equally(tenant_a):
    with time_machine.travel(at(8), tick=False):
        first = live_engagement(tenant_a.client, name="Keying")
        second = live_engagement(tenant_a.client, name="Claims")
        agent = agent_for(first, second, available=False)
    a_working_day(agent)
    meter_day(tenant_a.client)
    with all_clients_scope():
        found = dict(
            UsageRecord.objects.filter(client=tenant_a.client).values_list(
                "engagement_id", "quantity"
            )
        )
    assert found == {first.pk: Decimal("3.75"), second.pk: Decimal("3.75")}


def test_re_running_a_day_or_a_day_not_yet_ended_writes_nothing(tenant_a):
    with time_machine.travel(at(8), tick=False):
        engagement = live_engagement(tenant_a.client)
        agent = agent_for(engagement, available=False)
    a_working_day(agent)
    meter_day(tenant_a.client)
    before = usage_rows(tenant_a.client.pk)
    # when the day is metered again, and the day still running is asked for
    meter_day(tenant_a.client)
    with time_machine.travel(at(18), tick=False), all_clients_scope():
        productive.meter_day(client=tenant_a.client, day=DAY)
    # then nothing changed
    assert usage_rows(tenant_a.client.pk) == before
    assert len(before) == 1


def test_fte_counts_agents_cleared_on_the_months_last_day_by_their_share(tenant_a):
    # given two agents on one engagement, one of them also on a second engagement, and a
    # third cleared only in December
    with time_machine.travel(at(8), tick=False):
        first = live_engagement(tenant_a.client, name="Keying")
        second = live_engagement(tenant_a.client, name="Claims")
        one = agent_for(first, available=False)
        agent_for(first, second, available=False)
    with time_machine.travel(at(9, day=date(2026, 12, 2)), tick=False):
        agent_for(first, available=False)
    # when November's FTE is metered in December, twice
    for _ in range(2):
        with time_machine.travel(at(9, day=date(2026, 12, 5)), tick=False), all_clients_scope():
            productive.meter_fte(client=tenant_a.client, period=date(2026, 11, 1))
    # then 1.5 FTE on the first engagement and 0.5 on the second
    with all_clients_scope():
        found = {
            row.engagement_id: (row.quantity, row.site_id, row.period)
            for row in UsageRecord.objects.filter(client=tenant_a.client, unit="fte_month")
        }
    assert found == {
        first.pk: (Decimal("1.5"), one.site_id, date(2026, 11, 1)),
        second.pk: (Decimal("0.5"), one.site_id, date(2026, 11, 1)),
    }


def test_a_months_fte_waits_for_the_month_to_end(tenant_a):
    with time_machine.travel(at(8), tick=False):
        engagement = live_engagement(tenant_a.client)
        agent_for(engagement, available=False)
        with all_clients_scope():
            productive.meter_fte(client=tenant_a.client, period=date(2026, 11, 1))
            assert not UsageRecord.objects.filter(client=tenant_a.client).exists()


def test_closing_a_month_meters_its_productive_hours_first(tenant_a):
    import contextlib

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with time_machine.travel(at(8), tick=False):
        engagement = live_engagement(tenant_a.client)
        agent = agent_for(engagement, available=False)
    a_working_day(agent)
    # when the month is closed in December (drafting may refuse a client; metering is first)
    with (
        time_machine.travel(at(9, day=date(2026, 12, 2)), tick=False),
        contextlib.suppress(CommandError),
    ):
        call_command("billing", "close", "--month", "2026-11", "--client", str(tenant_a.client.pk))
    # then the day's hours and the month's FTE are in the ledger
    with all_clients_scope():
        found = sorted(
            UsageRecord.objects.filter(client=tenant_a.client).values_list("unit", "quantity")
        )
    assert found == [("fte_month", Decimal(1)), ("productive_hour", Decimal("7.5"))]
