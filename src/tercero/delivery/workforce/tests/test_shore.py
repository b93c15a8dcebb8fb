from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.delivery.workforce.shore import Shore, shore_of
from tercero.platform.tenancy.regions import COUNTRY_REGION

MANILA = SimpleNamespace(country="PH", time_zone="Asia/Manila")
BOGOTA = SimpleNamespace(country="CO", time_zone="America/Bogota")
KRAKOW = SimpleNamespace(country="PL", time_zone="Europe/Warsaw")
AUSTIN = SimpleNamespace(country="US", time_zone="America/Chicago")
CASABLANCA = SimpleNamespace(country="MA", time_zone="Africa/Casablanca")
US_CLIENT = SimpleNamespace(country="US", time_zone="America/New_York")
DE_CLIENT = SimpleNamespace(country="DE", time_zone="Europe/Berlin")
PH_CLIENT = SimpleNamespace(country="PH", time_zone="Asia/Manila")
GB_CLIENT = SimpleNamespace(country="GB", time_zone="Europe/London")


@pytest.mark.parametrize(
    ("site", "client", "expected"),
    [
        (MANILA, US_CLIENT, Shore.OFFSHORE),
        (BOGOTA, US_CLIENT, Shore.NEARSHORE),
        (KRAKOW, DE_CLIENT, Shore.NEARSHORE),
        (AUSTIN, US_CLIENT, Shore.ONSHORE),
        (MANILA, PH_CLIENT, Shore.ONSHORE),
        (CASABLANCA, GB_CLIENT, Shore.NEARSHORE),  # other region, same time of day
        (AUSTIN, DE_CLIENT, Shore.OFFSHORE),
        (KRAKOW, PH_CLIENT, Shore.OFFSHORE),
    ],
)
def test_shore_is_relative_to_the_client(site, client, expected):
    assert shore_of(site, client) == expected


@given(st.sampled_from(sorted(COUNTRY_REGION)), st.sampled_from(sorted(COUNTRY_REGION)))
def test_onshore_exactly_when_the_countries_match(site_country, client_country):
    site = SimpleNamespace(country=site_country, time_zone="UTC")
    client = SimpleNamespace(country=client_country, time_zone="Pacific/Kiritimati")
    assert (shore_of(site, client) == Shore.ONSHORE) == (site_country == client_country)
