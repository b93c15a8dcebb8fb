"""The shrinkage a staffing plan is offered comes from the sites: weighted by the agents
cleared for the queue's engagement, or the active sites' mean when none is cleared."""

from typing import cast

import pytest
from tests.factories import site

from tercero.delivery.planning import selectors
from tercero.delivery.planning.tests.factories import finished_forecast, planning_queue
from tercero.delivery.workforce.models import Site
from tercero.delivery.workforce.services import clear_agent, create_agent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

pytestmark = pytest.mark.django_db


def _site(name: str, shrinkage: float) -> Site:
    found = site(name=name, city=name)
    found.shrinkage = shrinkage
    found.save(update_fields=["shrinkage"])
    return found


def _cleared(queue, where: Site, lead: User, count: int) -> None:
    for _ in range(count):
        person = cast(User, UserFactory(role=Role.AGENT))
        with all_clients_scope():
            Grant.objects.create(user=person, client=queue.client, reason="fixture")
        with client_scope(clients=[queue.client]):
            agent = create_agent(actor=None, user=person, site=where)
            clear_agent(
                actor=lead,
                agent=agent,
                engagement=queue.engagement,
                reachable_client_ids=[queue.client_id],
            )


def test_the_offer_weights_each_sites_figure_by_the_agents_cleared_there(tenant_a):
    # given 3 agents at Manila (20 %) and 1 at Leeds (40 %) cleared for the engagement
    queue = planning_queue(tenant_a.client)
    _cleared(queue, _site("Manila", 0.2), tenant_a.team_lead, 3)
    _cleared(queue, _site("Leeds", 0.4), tenant_a.team_lead, 1)
    _site("Cebu", 0.9)  # nobody of this engagement works there
    # when
    with client_scope(clients=[tenant_a.client]):
        found = selectors.shrinkage_for(queue=queue)
    # then (3 x 20 + 1 x 40) / 4 = 25 %
    assert found.share == pytest.approx(0.25)
    assert found.from_agents
    assert found.sites == (("Leeds", 0.4, 1), ("Manila", 0.2, 3))


def test_without_cleared_agents_the_active_sites_count_once_each(tenant_a):
    queue = planning_queue(tenant_a.client)
    _site("Manila", 0.2)
    _site("Leeds", 0.5)
    closed = _site("Cebu", 0.9)
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    with client_scope(clients=[tenant_a.client]):
        found = selectors.shrinkage_for(queue=queue)
    assert found.share == pytest.approx(0.35)
    assert not found.from_agents


def test_a_plan_made_without_a_shrinkage_uses_the_sites_and_the_form_offers_it(client, tenant_a):
    # given agents at a site with 40 % shrinkage and a finished forecast
    queue = planning_queue(tenant_a.client)
    _cleared(queue, _site("Leeds", 0.4), tenant_a.team_lead, 2)
    run = finished_forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)
    # when the lead opens the forecast and makes a plan through the API without a figure
    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()
    response = client.post(
        f"/api/v1/planning/forecasts/{run.pk}/plans",
        {"model": "erlang_c", "target": 0.8, "answer_seconds": 20},
        content_type="application/json",
    )
    # then the form offered 40 % and said why, and the plan used it
    assert 'name="shrinkage_percent" min="0" max="89" step="0.1" value="40"' in page
    assert "Leeds 40 % (2 agents)" in page
    assert response.status_code == 201, response.content
    assert response.json()["shrinkage"] == 0.4
