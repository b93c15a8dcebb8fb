"""The demo's schedules: early and late shifts and the default labour rules at every
demo site, and a published schedule for this week and next for the sites' agents, so
My shifts and the adherence board show something. Shifts are written directly (the
demo has no staffing plan to solve against); running it again changes nothing."""

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
    from tercero.delivery.workforce.models import Site
    from tercero.platform.identity.models import User

DEMO_NAME = "Demo: this week and next"
TEMPLATES = (("early", "Early", time(7), 8 * 60), ("late", "Late", time(14), 8 * 60))
WEEKDAYS = [0, 1, 2, 3, 4]


def load(*, admin: "User") -> None:
    sites = [site for site in workforce.sites(is_active=True) if selectors.agents_at(sites=[site])]
    for site in sites:
        _site_setup(admin, site)
    if not sites or Schedule.objects.filter(name=DEMO_NAME).exists():
        return
    today = timezone.now().date()
    monday = today - timedelta(days=today.weekday())
    schedule = services.start_build(
        actor=admin, name=DEMO_NAME, sites=sites, first_day=monday, days=14
    )
    with transaction.atomic(), all_clients_scope():
        _write_shifts(schedule, sites, monday)
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


def _write_shifts(schedule: Schedule, sites: list["Site"], monday: date) -> None:
    agents = list(selectors.agents_at(sites=sites))
    served = selectors.queues_served(agent_ids=[agent.pk for agent in agents])
    rules = LabourRules()
    rows = []
    for number, agent in enumerate(agents):
        _key, label, start, minutes = TEMPLATES[number % len(TEMPLATES)]
        zone = ZoneInfo(agent.site.time_zone)
        for offset in range(14):
            day = monday + timedelta(days=offset)
            if day.weekday() not in WEEKDAYS:
                continue
            begins = datetime.combine(day, start, tzinfo=zone)
            ends = begins + timedelta(minutes=minutes)
            rows.append(
                ScheduledShift(
                    schedule=schedule,
                    agent=agent,
                    template=label,
                    start_at=begins,
                    end_at=ends,
                    breaks=[
                        [a.isoformat(), b.isoformat()]
                        for a, b in services.place_breaks(begins, ends, rules)
                    ],
                    serves=sorted(f"queue:{queue}" for queue in served[agent.pk]),
                )
            )
    ScheduledShift.objects.bulk_create(rows)
