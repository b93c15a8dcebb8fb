"""Client B's outbound rows for the isolation matrix (tests/isolation/worlds.py): a
campaign with a loaded list and a lead, a hand-added do-not-call entry and a consent."""

from datetime import UTC, datetime

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import consent, dnc
from tercero.services.outbound.models import CallAttempt, DncEntry
from tercero.services.outbound.tests.world import build, load


def outbound_rows(tenant) -> dict[str, int]:
    world = build(tenant, name="Bergmann outbound", email="dm-outbound@provider.example")
    lead_list = load(world, [{"phone": "+12125550123", "name": "Bergmann lead"}])
    with client_scope(clients=[tenant.client]):
        dnc.add_number(actor=None, client_ids=[tenant.client.pk], number="+12125550124")
        entry = DncEntry.objects.get(client=tenant.client, source="manual")
        given = consent.record_consent(
            actor=None,
            client_id=tenant.client.pk,
            number="+12125550125",
            source="web form",
            obtained_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
        lead = lead_list.leads.get()
        attempt = CallAttempt.objects.create(
            client=tenant.client, lead=lead, campaign=world.campaign, call_ref="att-b"
        )
    return {
        "attempt_id": attempt.pk,
        "campaign_id": world.campaign.pk,
        "list_id": lead_list.pk,
        "lead_id": lead.pk,
        "entry_id": entry.pk,
        "consent_id": given.pk,
    }
