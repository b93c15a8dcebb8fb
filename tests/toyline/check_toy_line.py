"""Run only under `tests.toyline.settings` (by tests/test_toy_service_line.py): what the
toy service line gets from its manifest alone."""

from django.core.management import call_command
from django.test import Client as HttpClient

from tercero.config.navigation import entries_for
from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import services as work
from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.factories import engagement_for


def _errand(tenant):
    engagement = engagement_for(
        tenant.client, name="Errands", service_line="errands", status="live"
    )
    with client_scope(clients=[tenant.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Errands", work_types=["toyline.errand"]
        )
        return work.create_item(
            actor=None, queue=queue, work_type="toyline.errand", payload={"errand": "Post"}
        )


def test_the_toy_line_is_in_the_navigation_of_the_roles_it_names(tenant_a):
    assert ("Errands", "/errands/") in entries_for(tenant_a.team_lead)
    assert ("Errands", "/errands/") not in entries_for(tenant_a.agent)


def test_its_api_answers_with_its_permission_and_hides_other_clients(tenant_a, tenant_b):
    # given an errand of each client and a team lead's token for A with the new scope
    own, other = _errand(tenant_a), _errand(tenant_b)
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.team_lead, client=tenant_a.client, name="t", scopes=["errands:read"]
        )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    http = HttpClient()

    # then
    assert http.get(f"/api/v1/errands/{own.pk}", **bearer).json()["title"] == "Errand"
    assert http.get(f"/api/v1/errands/{other.pk}", **bearer).status_code == 404
    assert "/api/v1/errands/{item_id}" in http.get("/api/v1/openapi.json").json()["paths"]


def test_its_pages_open_for_the_roles_it_names(tenant_a):
    _errand(tenant_a)
    http = HttpClient()
    http.force_login(tenant_a.team_lead)
    assert b"<li>Errand</li>" in http.get("/errands/").content
    http.force_login(tenant_a.agent)
    assert http.get("/errands/").status_code == 403


def test_the_demo_loads_its_share(db):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with all_clients_scope():
        errands = Engagement.objects.get(name="Errands")
    assert (errands.client.legal_name, errands.service_line) == (
        "Northwind Commerce Inc",
        "errands",
    )
