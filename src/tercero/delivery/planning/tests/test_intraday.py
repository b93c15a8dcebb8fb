"""Intraday: today's arrivals so far against the plan, the rest of the day forecast
again from them, and the gap against the agents signed in now."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from tests.factories import site

from tercero.delivery.planning.tests.factories import finished_forecast, plan_for, planning_queue
from tercero.delivery.work import demo
from tercero.delivery.work import services as work
from tercero.delivery.workforce.services import clear_agent, create_agent, set_presence
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def test_a_busier_morning_raises_the_afternoon_and_shows_the_gap_against_agents_signed_in(
    client, tenant_a
):
    # given a plan for Monday 23 March (about 15 calls each half hour from 09:00)
    queue = planning_queue(tenant_a.client)
    plan = plan_for(finished_forecast(queue, tenant_a.team_lead), tenant_a.team_lead)
    # one agent cleared for the engagement and signed in
    with client_scope(clients=[tenant_a.client]):
        agent = create_agent(actor=None, user=tenant_a.agent, site=site())
        clear_agent(
            actor=tenant_a.team_lead,
            agent=agent,
            engagement=queue.engagement,
            reachable_client_ids=[tenant_a.client.pk],
        )
        set_presence(agent=agent, presence="available")
        # and twice the planned calls arrived between 09:00 and 10:00
        for minute in range(60):
            item = work.create_item(
                actor=None,
                queue=queue,
                work_type="capture.document",
                payload={"document_ref": f"D{minute}", "fields_total": 1},
            )
            at = datetime(2026, 3, 23, 9, minute, tzinfo=NEW_YORK)
            demo.set_history(item_id=item.pk, created_at=at)
    client.force_login(tenant_a.team_lead)

    # when the lead opens today's picture at 10:10
    with time_machine.travel(datetime(2026, 3, 23, 10, 10, tzinfo=NEW_YORK), tick=False):
        body = client.get(f"/api/v1/planning/queues/{queue.pk}/intraday").json()
        page = client.get(f"/planning/queues/{queue.pk}/intraday/").content.decode()

    # then the intervals so far show what arrived, and the rest is expected above plan
    rows = {row["start"][11:16]: row for row in body["intervals"]}
    assert body["plan_id"] == plan.pk
    assert body["agents_now"] == 1
    assert rows["09:00"]["actual_calls"] == 30
    assert rows["09:30"]["actual_calls"] == 30
    assert rows["10:00"]["actual_calls"] is None
    assert rows["14:00"]["expected_calls"] > rows["14:00"]["planned_calls"]
    # and each interval's gap is the agents needed less the one signed in
    assert rows["14:00"]["gap"] == rows["14:00"]["agents_needed"] - 1 > 0
    assert "short" in page
