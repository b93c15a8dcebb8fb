"""A site's hourly cost is typed as people write money (12.50 in its currency) and
stored as whole minor units; more decimals than the currency has are refused in words."""

from tercero.delivery.workforce.models import Site
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory

FORM = {
    "name": "Cebu",
    "country": "ph",
    "city": "Cebu",
    "time_zone": "Asia/Manila",
    "languages": "en, tl",
}


def test_an_hourly_cost_in_major_units_is_stored_in_minor_units(client, provider):
    # given a provider admin on the sites page
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    page = client.get("/sites/").content.decode()
    assert "minor units" not in page
    # when they add a site costing 12.50 US dollars an hour
    response = client.post("/sites/", {**FORM, "hourly_cost": "12.50", "currency": "usd"})
    # then it is stored as 1250 cents
    assert response.status_code == 302
    site = Site.objects.get(name="Cebu")
    assert (site.hourly_cost_minor, site.currency) == (1250, "USD")


def test_a_cost_finer_than_the_currency_is_refused_and_nothing_stored(client, provider):
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    response = client.post("/sites/", {**FORM, "hourly_cost": "12.505", "currency": "USD"})
    assert response.status_code == 422
    assert "USD has 2 decimal places." in response.content.decode()
    assert not Site.objects.filter(name="Cebu").exists()
