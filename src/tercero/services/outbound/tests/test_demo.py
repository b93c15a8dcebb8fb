"""The demo: one active US campaign with a ready list of 50 fictional leads, two held by
the do-not-call lists; a second run changes nothing."""

from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import demo
from tercero.services.outbound.models import Campaign, DncEntry, Lead


def test_the_demo_campaign_is_active_with_fifty_leads_and_runs_once(tenant_a):
    # given
    admin = UserFactory(email="demo-admin@provider.example", role=Role.PROVIDER_ADMIN)

    # when
    demo.load(admin=admin, clients={"northwind": tenant_a.client})
    demo.load(admin=admin, clients={"northwind": tenant_a.client})

    # then
    with client_scope(clients=[tenant_a.client]):
        campaign = Campaign.objects.get()
        assert campaign.status == "active"
        assert Lead.objects.filter(campaign=campaign).count() == 50
        held = Lead.objects.filter(status="held").values_list("held_reason", flat=True)
        assert sorted(reason.split(":")[0] for reason in held) == [
            "dnc.internal",
            "dnc.registry.US-NDNC",
        ]
        assert DncEntry.objects.count() == 2
