"""The demo gives Northwind's customer care a phone queue with four weeks of history, a
finished forecast and a staffing plan; loading it again adds nothing."""

import pytest
from tests.factories import engagement_for

from tercero.delivery.planning import demo
from tercero.delivery.planning.models import ForecastRun, HistoryPoint, StaffingPlan
from tercero.platform.catalogue import DemoContext
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db


def test_the_demo_forecasts_and_plans_a_phone_queue_once(tenant_a, provider_admin):
    # given Northwind's customer care engagement
    engagement_for(tenant_a.client, name="Customer care 24/7", status="live")
    context = DemoContext(admin=provider_admin, people={}, clients={"northwind": tenant_a.client})

    # when the demo is loaded twice
    demo.load(context)
    demo.load(context)

    # then one queue has four weeks of half hours 08:00-20:00, one forecast and one plan
    with client_scope(clients=[tenant_a.client]):
        assert HistoryPoint.objects.count() == 28 * 24
        run = ForecastRun.objects.get()
        assert run.status == ForecastRun.Status.DONE
        assert run.queue.name == demo.QUEUE
        plan = StaffingPlan.objects.get()
        assert plan.peak_agents > 0
