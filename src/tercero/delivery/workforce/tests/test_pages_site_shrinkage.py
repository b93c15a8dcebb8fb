"""A site's shrinkage is typed as a percentage (30 means 30 % of paid time off the work),
stored as a share, refused in words outside 0 to 95 %, and its change is audited."""

from tests.factories import site

from tercero.delivery.workforce.models import Site
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope

FORM = {
    "name": "Cebu",
    "country": "ph",
    "city": "Cebu",
    "time_zone": "Asia/Manila",
    "languages": "en, tl",
    "hourly_cost": "12.50",
    "currency": "usd",
}


def _edit_form(found: Site, **changes: str) -> dict[str, str]:
    return {
        "name": found.name,
        "country": found.country,
        "city": found.city,
        "time_zone": found.time_zone,
        "languages": ", ".join(found.languages),
        "hourly_cost": "9.00",
        "currency": found.currency,
        "shrinkage_percent": "30",
        **changes,
    }


def test_a_new_site_keeps_the_shrinkage_typed_in_percent(client, provider):
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    response = client.post("/sites/", {**FORM, "shrinkage_percent": "25"})
    assert response.status_code == 302
    assert Site.objects.get(name="Cebu").shrinkage == 0.25
    page = client.get("/sites/").content.decode()
    assert "25 %" in page


def test_a_site_left_at_the_offered_figure_has_thirty_percent(client, provider):
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    form = client.get("/sites/").content.decode()
    assert 'name="shrinkage_percent"' in form
    assert 'value="30"' in form
    client.post("/sites/", {**FORM, "shrinkage_percent": "30"})
    assert Site.objects.get(name="Cebu").shrinkage == 0.3


def test_changing_a_sites_shrinkage_is_saved_and_audited(client, provider):
    # given a site at the default 30 %
    manila = site()
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    page = client.get(f"/sites/{manila.pk}/").content.decode()
    assert "30 % of paid time is not on the work" in page
    # when the admin sets it to 32.5 %
    response = client.post(f"/sites/{manila.pk}/", _edit_form(manila, shrinkage_percent="32.5"))
    # then it is stored as a share and shown as typed
    assert response.status_code == 302
    manila.refresh_from_db()
    assert manila.shrinkage == 0.325
    assert "32.5 % of paid time" in client.get(f"/sites/{manila.pk}/").content.decode()
    # and the change is an audit event naming only the field that changed
    with all_clients_scope():
        event = AuditEvent.objects.filter(action="site.updated", object_id=manila.pk).get()
    assert event.payload["fields"] == ["shrinkage"]


def test_shrinkage_outside_0_to_95_percent_is_refused_in_words(client, provider):
    manila = site()
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    for typed in ("96", "-1", "a third"):
        response = client.post(f"/sites/{manila.pk}/", _edit_form(manila, shrinkage_percent=typed))
        assert response.status_code == 422
        assert "Shrinkage is a percentage from 0 to 95" in response.content.decode()
    manila.refresh_from_db()
    assert manila.shrinkage == 0.3
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action="site.updated").exists()


def test_the_api_refuses_shrinkage_above_95_percent(client, provider):
    manila = site()
    client.force_login(UserFactory(role=Role.PROVIDER_ADMIN))
    refused = client.patch(
        f"/api/v1/sites/{manila.pk}", {"shrinkage": 0.96}, content_type="application/json"
    )
    saved = client.patch(
        f"/api/v1/sites/{manila.pk}", {"shrinkage": 0.2}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert "shrinkage" in str(refused.json()["error"]["fields"])
    assert (saved.status_code, saved.json()["shrinkage"]) == (200, 0.2)


def test_someone_who_may_only_read_sites_sees_the_figure_without_the_form(client, provider):
    manila = site()
    client.force_login(UserFactory(role=Role.TEAM_LEAD))
    page = client.get(f"/sites/{manila.pk}/").content.decode()
    assert "30 % of paid time" in page
    assert 'name="shrinkage_percent"' not in page
    response = client.post(f"/sites/{manila.pk}/", _edit_form(manila, shrinkage_percent="50"))
    assert response.status_code == 403
    manila.refresh_from_db()
    assert manila.shrinkage == 0.3
