"""Data residency: may staff at this site see the engagement's personal data?"""

from typing import TYPE_CHECKING

from tercero.delivery.workforce.shore import shore_of

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.workforce.models import Site


def site_satisfies_residency(engagement: "Engagement", site: "Site") -> bool:
    """True when the site's shore (relative to the client) and country are both allowed.
    An empty list places no restriction of that kind."""
    shores = engagement.residency_allowed_shores
    countries = engagement.residency_allowed_countries
    if shores and shore_of(site, engagement.client) not in shores:
        return False
    return not countries or site.country in countries
