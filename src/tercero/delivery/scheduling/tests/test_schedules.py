"""Publishing, editing a shift against the labour rules, who may see what, My shifts
across a clock change, and the off-shift signal reading the schedule."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from tests.factories import site as make_site

from tercero.delivery.scheduling import selectors, services
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.work.access import on_shift
from tercero.delivery.workforce.services import create_agent, set_presence
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import IllegalTransition, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope

LONDON = ZoneInfo("Europe/London")


def _setup(tenant, *, zone="Europe/London", name="Leeds"):
    site = make_site(name=name, country="GB", city=name, time_zone=zone)
    services.save_template(
        actor=tenant.team_lead,
        site=site,
        key="early",
        label="Early",
        start=time(7),
        minutes=480,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
    )
    agent = create_agent(actor=None, user=tenant.agent, site=site)
    return site, agent


def _schedule(site, agent, first_day: date, days: int, *, hour=7) -> Schedule:
    schedule = services.start_build(
        actor=None, name="Week", sites=[site], first_day=first_day, days=days
    )
    zone = ZoneInfo(site.time_zone)
    rules = selectors.rules_of(site=site)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, time(hour), tzinfo=zone)
        end = start + timedelta(hours=8)
        ScheduledShift.objects.create(
            schedule=schedule,
            agent=agent,
            template="Early",
            start_at=start,
            end_at=end,
            breaks=[
                [a.isoformat(), b.isoformat()] for a, b in services.place_breaks(start, end, rules)
            ],
        )
    Schedule.objects.filter(pk=schedule.pk).update(status=Schedule.Status.READY)
    schedule.refresh_from_db()
    return schedule


def test_publishing_replaces_the_overlapping_published_schedule_and_is_audited(tenant_a):
    # given a published schedule and a new one over the same site and days
    site, agent = _setup(tenant_a)
    first = _schedule(site, agent, date(2026, 3, 2), 7)
    services.publish(actor=tenant_a.team_lead, schedule=first)
    second = _schedule(site, agent, date(2026, 3, 5), 7)
    # when the new one is published
    services.publish(actor=tenant_a.team_lead, schedule=second)
    # then the first is replaced, and both publications are in the audit trail
    first.refresh_from_db()
    assert (first.status, second.status) == ("replaced", "published")
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="schedule.published").count() == 2


def test_a_schedule_given_no_name_is_named_by_its_first_day_in_words(tenant_a):
    site, _ = _setup(tenant_a)
    schedule = services.start_build(
        actor=None, name=" ", sites=[site], first_day=date(2026, 3, 2), days=7
    )
    assert schedule.name == "Schedule from Monday 2 March 2026"


def test_a_schedule_still_being_built_cannot_be_published(tenant_a):
    site, _ = _setup(tenant_a)
    schedule = services.start_build(
        actor=None, name="W", sites=[site], first_day=date(2026, 3, 2), days=7
    )
    with pytest.raises(IllegalTransition):
        services.publish(actor=tenant_a.team_lead, schedule=schedule)


def test_moving_a_shift_too_close_to_the_next_is_refused_with_the_rest_rule(tenant_a):
    # given Monday and Tuesday shifts from 07:00 to 15:00
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 2), 2)
    monday = schedule.shifts.order_by("start_at").first()
    assert monday is not None
    late = datetime(2026, 3, 2, 16, tzinfo=LONDON)
    # when Monday's shift is moved to end at midnight (7 hours before Tuesday's start)
    with pytest.raises(InvalidInput) as refused:
        services.edit_shift(
            actor=tenant_a.team_lead,
            shift=monday,
            start_at=late,
            end_at=late + timedelta(hours=8),
            version=monday.version,
        )
    # then the refusal gives the rule in words, and the shift did not move
    assert "rest" in refused.value.message
    assert "11 hours" in refused.value.message
    monday.refresh_from_db()
    assert monday.start_at == datetime(2026, 3, 2, 7, tzinfo=LONDON)


def test_a_shift_moved_within_the_rules_gets_its_breaks_placed_again(tenant_a):
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 2), 1)
    shift = schedule.shifts.get()
    start = datetime(2026, 3, 2, 9, tzinfo=LONDON)
    services.edit_shift(
        actor=tenant_a.team_lead,
        shift=shift,
        start_at=start,
        end_at=start + timedelta(hours=8),
        version=shift.version,
    )
    shift.refresh_from_db()
    assert shift.start_at == start
    assert shift.edited_by_id == tenant_a.team_lead.pk
    assert len(shift.breaks) == 2


def test_my_shifts_shows_local_times_on_both_sides_of_the_clock_change(client, tenant_a):
    # given a published 07:00 shift each weekday across the UK change to summer time (29 Mar 2026)
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 23), 14)
    services.publish(actor=tenant_a.team_lead, schedule=schedule)
    client.force_login(tenant_a.agent)
    # when the agent opens My shifts in the week before the change
    with time_machine.travel(datetime(2026, 3, 25, 12, tzinfo=LONDON), tick=False):
        page = client.get("/schedules/mine/").content.decode()
    # then both weeks read 07:00 local, in GMT before and BST after
    assert "Wednesday 25 March 2026" in page
    assert "Wed 25 Mar 07:00 to 15:00 (GMT)" in page
    assert "Mon 30 Mar 07:00 to 15:00 (BST)" in page


def test_agents_cannot_open_the_roster_and_client_users_do_not_find_it(client, tenant_a):
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 2), 1)
    client.force_login(tenant_a.agent)
    assert client.get(f"/schedules/{schedule.pk}/").status_code == 403
    assert client.get("/api/v1/schedules").status_code == 403
    client.force_login(tenant_a.client_admin)
    assert client.get(f"/schedules/{schedule.pk}/").status_code == 404
    client.force_login(tenant_a.team_lead)
    assert client.get("/schedules/999999/").status_code == 404
    assert client.get(f"/schedules/{schedule.pk}/").status_code == 200


def test_an_agent_may_not_publish_and_nothing_changes(client, tenant_a):
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 2), 1)
    client.force_login(tenant_a.agent)
    response = client.post(
        f"/api/v1/schedules/{schedule.pk}/publish", {"version": 1}, content_type="application/json"
    )
    assert response.status_code == 403
    schedule.refresh_from_db()
    assert schedule.status == "ready"


def test_the_api_starts_a_build_with_202(client, tenant_a):
    site, _ = _setup(tenant_a)
    client.force_login(tenant_a.team_lead)
    response = client.post(
        "/api/v1/schedules",
        {"site_ids": [site.pk], "first_day": "2026-03-02", "days": 7},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert response.json()["status"] == "solving"


def test_off_shift_signal_follows_the_published_schedule_over_presence(tenant_a):
    # given an agent signed in (available) and a published shift 07:00 to 15:00 on Monday
    site, agent = _setup(tenant_a)
    schedule = _schedule(site, agent, date(2026, 3, 2), 1)
    services.publish(actor=tenant_a.team_lead, schedule=schedule)
    set_presence(agent=agent, presence="available")
    user = tenant_a.agent

    def fresh():
        with all_clients_scope():
            return type(user).objects.get(pk=user.pk)

    # then at 20:00 they are off shift although available, and at 10:00 on shift
    with time_machine.travel(datetime(2026, 3, 2, 20, tzinfo=LONDON), tick=False):
        assert on_shift(fresh()) is False
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        assert on_shift(fresh()) is True
    # and on a day no schedule covers, presence decides as before
    with time_machine.travel(datetime(2026, 4, 2, 20, tzinfo=LONDON), tick=False):
        assert on_shift(fresh()) is True


def test_a_team_lead_sets_rules_in_hours_and_sees_them_in_words(client, tenant_a):
    # given
    site, _ = _setup(tenant_a)
    client.force_login(tenant_a.team_lead)
    form = {
        "form": "rules",
        "max_hours_per_week": "40",
        "min_rest_hours": "12",
        "max_days_per_week": "5",
        "max_consecutive_days": "5",
        "min_shift_hours": "4",
        "max_shift_hours": "9",
        "break_margin_minutes": "60",
        "break_1_after_hours": "6",
        "break_1_minutes": "30",
    }
    # when
    client.post(f"/schedules/sites/{site.pk}/", form)
    # then the rules are stored and the page reads them in words, not as data
    rules = selectors.rules_of(site=site)
    assert (rules.max_minutes_per_week, rules.min_rest_minutes) == (2400, 720)
    page = client.get(f"/schedules/sites/{site.pk}/").content.decode()
    assert "40.0 hours" in page
    assert "a 30-minute unpaid break" in page
    assert client.get("/schedules/").status_code == 200
    assert client.get("/schedules/?format=csv").status_code == 200
