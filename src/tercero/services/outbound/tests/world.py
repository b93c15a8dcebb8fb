"""A small outbound world for tests: a delivery manager, a telemarketing engagement with
a queue, and a US campaign."""

from dataclasses import dataclass

from tests.factories import engagement_for

from tercero.delivery.work import services as work
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.outbound import campaigns, lead_import


@dataclass
class World:
    tenant: object
    manager: object
    engagement: object
    queue: object
    campaign: object


def manager_of(tenant, email: str = "dm@provider.example"):
    person = UserFactory(email=email, role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        Grant.objects.create(user=person, client=tenant.client, reason="manages outbound")
    return person


def build(tenant, *, pack: str = "us", name: str = "Spring renewals", email=None, **fields):
    manager = manager_of(tenant, email or f"dm{tenant.client.pk}@provider.example")
    engagement = engagement_for(
        tenant.client, name=f"{name} engagement", service_line="telemarketing", status="live"
    )
    with client_scope(clients=[tenant.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name=f"{name} diallers", work_types=["outbound.call"]
        )
        campaign = campaigns.create_campaign(
            actor=manager, engagement=engagement, fields={"name": name, "pack": pack, **fields}
        )
    return World(tenant, manager, engagement, queue, campaign)


def load(world: World, rows: list[dict], name: str = "List 1"):
    with client_scope(clients=[world.tenant.client]):
        return lead_import.load(
            actor=world.manager,
            campaign=world.campaign,
            name=name,
            rows=list(enumerate(rows, start=2)),
        )
