from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from tercero.delivery.workforce.models import Agent, Site
from tercero.platform.errors import NotFound

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def sites(
    *, country: str | None = None, is_active: bool | None = None, q: str = ""
) -> QuerySet[Site]:
    found = Site.objects.all()
    if country:
        found = found.filter(country=country.upper())
    if is_active is not None:
        found = found.filter(is_active=is_active)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(city__icontains=q))
    return found


def access_site(*, site_id: int) -> Site:
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise NotFound("Site not found.")
    return site


def own_agent(user: "User") -> Agent | None:
    """The agent record of a signed-in person, with its site and user (None for people
    who do not take work)."""
    return Agent.objects.filter(user=user).select_related("site", "user").first()
