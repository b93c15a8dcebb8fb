"""The demo publishes this week's and next week's shifts for the agents of every demo
site, within the labour rules and with today among each agent's days, once however often
it is loaded, and only when the demo's transaction commits (the agents come later)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from tests.factories import site as make_site

from tercero.delivery.scheduling import board, demo, selectors, services
from tercero.delivery.scheduling.labour import violations
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.workforce.services import create_agent
from tercero.platform.tenancy.scoping import all_clients_scope

MANILA = ZoneInfo("Asia/Manila")
WEDNESDAY_MORNING = datetime(2026, 12, 9, 10, tzinfo=MANILA)


def _load(admin, capture):
    with capture(execute=True):
        demo.load(admin=admin)


def test_the_demo_publishes_one_schedule_within_the_rules_however_often_loaded(
    tenant_a, provider_admin, django_capture_on_commit_callbacks
):
    # given a demo site with one agent
    site = make_site()
    agent = create_agent(actor=None, user=tenant_a.agent, site=site)
    # when the demo is loaded twice on a Wednesday
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        _load(provider_admin, django_capture_on_commit_callbacks)
        _load(provider_admin, django_capture_on_commit_callbacks)
    # then one published schedule: ten shifts, five a week, none on Friday or Saturday
    schedule = Schedule.objects.get()
    assert schedule.status == Schedule.Status.PUBLISHED
    shifts = list(ScheduledShift.objects.filter(schedule=schedule).order_by("start_at"))
    local_days = [shift.start_at.astimezone(MANILA).date() for shift in shifts]
    assert len(shifts) == 10
    assert {day.strftime("%a") for day in local_days} == {"Mon", "Tue", "Wed", "Thu", "Sun"}
    # which keep the site's labour rules
    planned = [services.planned(shift) for shift in shifts]
    rules = selectors.rules_of(site=site)
    assert violations(planned, rules, time_zones={agent.pk: "Asia/Manila"}) == []
    # and today's shift carries an hour's training, which the board shows as it holds
    (today,) = [s for s, day in zip(shifts, local_days, strict=True) if day.day == 9]
    assert [kind for _, _, kind in today.activities] == ["training"]
    later = WEDNESDAY_MORNING - timedelta(hours=1, minutes=30)
    with time_machine.travel(later, tick=False), all_clients_scope():
        (row,) = board.now_rows()
    assert (row.activity, row.is_neutral) == ("In training", True)


def test_the_demo_waits_for_the_commit_before_writing_shifts(
    tenant_a, provider_admin, django_capture_on_commit_callbacks
):
    create_agent(actor=None, user=tenant_a.agent, site=make_site())
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        demo.load(admin=provider_admin)
    assert not Schedule.objects.exists()
    assert len(waiting) == 1
