"""Builders for schedules' tests: a site with one shift template, and agents cleared for
a queue's engagement with the skills its work types need."""

from datetime import time

from tests.factories import site as make_site

from tercero.delivery.scheduling import services
from tercero.delivery.scheduling.skills import queue_needs
from tercero.delivery.workforce.models import Agent, Site
from tercero.delivery.workforce.services import clear_agent, create_agent
from tercero.platform.identity.models import User
from tercero.platform.tenancy.scoping import client_scope

NEW_YORK = "America/New_York"


def site_with_template(
    lead: User,
    *,
    name: str = "Brooklyn",
    city: str = "New York",
    country: str = "US",
    time_zone: str = NEW_YORK,
    start: time = time(9),
    minutes: int = 480,
) -> Site:
    """A site whose one template, "Day", starts at `start` local time every day."""
    site = make_site(name=name, country=country, city=city, time_zone=time_zone)
    services.save_template(
        actor=lead,
        site=site,
        key="day",
        label="Day",
        start=start,
        minutes=minutes,
        weekdays=list(range(7)),
    )
    return site


def cleared_agent(
    tenant, user: User, site: Site, queue, *, skills: dict[str, int] | None = None
) -> Agent:
    """`user` as an agent of `site`, cleared for the engagement of `queue` (a client of
    `tenant`, which `user` is granted), with `skills` (by default those the queue's work
    types need)."""
    held = queue_needs(queue.work_types) if skills is None else skills
    agent = create_agent(actor=None, user=user, site=site, skills=held)
    with client_scope(clients=[tenant.client]):
        clear_agent(
            actor=tenant.team_lead,
            agent=agent,
            engagement=queue.engagement,
            reachable_client_ids=[tenant.client.pk],
        )
    return agent
