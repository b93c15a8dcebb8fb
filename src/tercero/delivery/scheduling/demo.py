"""The demo's schedules: early and late shifts and the default labour rules at every
demo site with agents, and a published schedule for this week and next, so My shifts and
the adherence board show something. Shifts are written directly (each agent keeps one
shift, five days in seven, today always among them, within the labour rules) with a
training session laid over each agent's shift today. Running it again changes nothing.

The demo agents' profiles come from the service lines' demos, which load after this
one, so the schedule is written once the whole demo has committed."""

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tercero.delivery.scheduling import selectors, services
from tercero.delivery.scheduling.labour import LabourRules
from tercero.delivery.scheduling.models import LabourRuleSet, Schedule, ScheduledShift
from tercero.delivery.workforce import selectors as workforce
from tercero.platform.tenancy.scoping import all_clients_scope

if TYPE_CHECKING:
    from tercero.delivery.workforce.models import Agent, Site
    from tercero.platform.identity.models import User

DEMO_NAME = "Demo: this week and next"
TEMPLATES = (("early", "Early", time(7), 8 * 60), ("late", "Late", time(14), 8 * 60))
WEEKDAYS = list(range(7))
DAYS = 14


def load(*, admin: "User") -> None:
    """Load the demo's schedules when the demo's transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _load_now(admin))


def _load_now(admin: "User") -> None:
    with all_clients_scope():
        sites = [s for s in workforce.sites(is_active=True) if selectors.agents_at(sites=[s])]
        for site in sites:
            _site_setup(admin, site)
        if not sites or Schedule.objects.filter(name=DEMO_NAME).exists():
            return
        today = timezone.now().date()
        monday = today - timedelta(days=today.weekday())
        schedule = services.start_build(
            actor=admin, name=DEMO_NAME, sites=sites, first_day=monday, days=DAYS
        )
        with transaction.atomic():
            _write_shifts(schedule, sites, monday, today)
            Schedule.objects.filter(pk=schedule.pk).update(
                status=Schedule.Status.READY, progress="Written for the demo.", solve_status="demo"
            )
        schedule.refresh_from_db()
        services.publish(actor=admin, schedule=schedule)


def _site_setup(admin: "User", site: "Site") -> None:
    if not selectors.templates_of(site=site).exists():
        for key, label, start, minutes in TEMPLATES:
            services.save_template(
                actor=admin,
                site=site,
                key=key,
                label=label,
                start=start,
                minutes=minutes,
                weekdays=WEEKDAYS,
            )
    if not LabourRuleSet.objects.filter(site=site).exists():
        services.save_labour_rules(actor=admin, site=site, values=LabourRules().to_dict())


def working_days(monday: date, today: date) -> list[date]:
    """Five days in every seven of the schedule, today among them: the two days off
    fall two and three days after today, in every week."""
    off = {(today.weekday() + 2) % 7, (today.weekday() + 3) % 7}
    days = [monday + timedelta(days=offset) for offset in range(DAYS)]
    return [day for day in days if day.weekday() not in off]


def _write_shifts(schedule: Schedule, sites: list["Site"], monday: date, today: date) -> None:
    agents = list(selectors.agents_at(sites=sites))
    served = selectors.queues_served(agent_ids=[agent.pk for agent in agents])
    rows = []
    for number, agent in enumerate(agents):
        _key, label, start, minutes = TEMPLATES[number % len(TEMPLATES)]
        zone = ZoneInfo(agent.site.time_zone)
        for day in working_days(monday, today):
            begins = datetime.combine(day, start, tzinfo=zone)
            rows.append(
                _shift(schedule, agent, label, begins, minutes, served[agent.pk], day == today)
            )
    ScheduledShift.objects.bulk_create(rows)


def _shift(
    schedule: Schedule,
    agent: "Agent",
    label: str,
    begins: datetime,
    minutes: int,
    serves: set[int],
    with_training: bool,
) -> ScheduledShift:
    """One shift with its breaks; today's has an hour's training an hour in."""
    ends = begins + timedelta(minutes=minutes)
    training = begins + timedelta(hours=1)
    return ScheduledShift(
        schedule=schedule,
        agent=agent,
        template=label,
        start_at=begins,
        end_at=ends,
        breaks=[
            [a.isoformat(), b.isoformat()]
            for a, b in services.place_breaks(begins, ends, LabourRules())
        ],
        activities=(
            [[training.isoformat(), (training + timedelta(hours=1)).isoformat(), "training"]]
            if with_training
            else []
        ),
        serves=sorted(f"queue:{queue}" for queue in serves),
    )
