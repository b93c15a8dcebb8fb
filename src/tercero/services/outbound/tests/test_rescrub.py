"""Scrubbing again: the periodic job picks up do-not-call rows that arrived by another
path, and a withdrawn consent holds the lead it had let through."""

from datetime import UTC, datetime

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import consent, dnc, numbers, tasks
from tercero.services.outbound.models import DncEntry
from tercero.services.outbound.tests.world import build, load


def test_the_job_holds_a_lead_whose_number_reached_the_list_by_another_path(tenant_a):
    # given a loaded lead, and its number written to the list without scrubbing
    world = build(tenant_a)
    lead_list = load(world, [{"phone": "+12125550123"}, {"phone": "+12125550124"}])
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        DncEntry.objects.create(
            client_id=client_id,
            phone_hash=numbers.phone_hash(client_id, "+12125550123"),
            source="manual",
        )

    # when
    changed = tasks.rescrub_open_leads.call()

    # then
    assert changed == 1
    with client_scope(clients=[tenant_a.client]):
        statuses = sorted(lead_list.leads.values_list("status", flat=True))
    assert statuses == ["callable", "held"]


def test_withdrawn_consent_holds_the_registry_number_again(tenant_a):
    # given a registry number let through by consent
    world = build(tenant_a)
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        dnc.import_registry(
            actor=None, client_id=client_id, kind="US-NDNC", file_name="n.txt",
            text="2125550123\n",
        )  # fmt: skip
        given = consent.record_consent(
            actor=None, client_id=client_id, number="+12125550123", source="signed form",
            obtained_at=datetime(2026, 1, 5, tzinfo=UTC),
        )  # fmt: skip
    lead_list = load(world, [{"phone": "+12125550123"}])
    with client_scope(clients=[tenant_a.client]):
        assert lead_list.leads.get().status == "callable"

        # when
        consent.withdraw(actor=None, consent=given)

        # then
        lead = lead_list.leads.get()
    assert lead.status == "held"
    assert lead.held_reason.startswith("dnc.registry.US-NDNC")
