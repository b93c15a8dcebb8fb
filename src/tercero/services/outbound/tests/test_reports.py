"""The campaign report: dials, contacts, sales and talk per UTC day and campaign, as a
page and as CSV, for the caller's clients only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import reports
from tercero.services.outbound.models import CallAttempt, Lead, LeadList
from tercero.services.outbound.tests.world import build

pytestmark = pytest.mark.django_db


def _called(world, *calls):
    with client_scope(clients=[world.tenant.client]):
        lead_list = LeadList.objects.create(
            client=world.tenant.client, campaign=world.campaign, name="R", status="ready"
        )
        lead = Lead.objects.create(
            client=world.tenant.client,
            campaign=world.campaign,
            lead_list=lead_list,
            phone="sealed",
            phone_hash="h",
            status="done",
        )
        for started, outcome, disposition, talk in calls:
            CallAttempt.objects.create(
                client=world.tenant.client,
                campaign=world.campaign,
                lead=lead,
                started_at=started,
                outcome=outcome,
                disposition=disposition,
                talk_seconds=talk,
            )


def test_calls_are_counted_per_day_and_campaign(tenant_a, tenant_b):
    world = build(tenant_a, name="Winter offer")
    other = build(tenant_b, name="Bergmann offer", email="dm-b@provider.example")
    now = timezone.now().replace(hour=12, minute=0)
    yesterday = now - timedelta(days=1)
    _called(
        world,
        (yesterday, "answered", "sale", 300),
        (yesterday, "no_answer", "", 0),
        (now, "answered", "not_interested", 60),
    )
    _called(other, (now, "answered", "sale", 100))
    with client_scope(clients=[tenant_a.client]):
        rows = reports.daily(
            client_ids=[tenant_a.client.pk],
            since=now - timedelta(days=3),
            until=now + timedelta(hours=1),
        )
    assert [(r.day, r.campaign, r.dials, r.contacts, r.sales, r.talk_seconds) for r in rows] == [
        (yesterday.date(), "Winter offer", 2, 1, 1, 300),
        (now.date(), "Winter offer", 1, 1, 0, 60),
    ]


def test_the_report_page_and_its_csv(client, tenant_a):
    world = build(tenant_a, name="Winter offer")
    _called(world, (timezone.now() - timedelta(minutes=5), "answered", "sale", 90))
    client.force_login(tenant_a.team_lead)
    page = client.get(reverse("outbound:reports")).content.decode()
    assert "Winter offer" in page
    assert "Dials per day" in page
    lines = client.get(reverse("outbound:reports") + "?format=csv").content.decode().splitlines()
    assert lines[0] == "Day,Campaign,Dials,Contacts,Sales,Talk seconds"
    assert lines[1].endswith(",Winter offer,1,1,1,90")
