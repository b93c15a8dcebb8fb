from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.audit.verify import verify_chain
from tercero.platform.tenancy.scoping import all_clients_scope


def test_events_chain_to_their_predecessor(tenant_a):
    # given / when
    first = record(action="client.updated", actor=tenant_a.team_lead, client=tenant_a.client)
    second = record(action="client.updated", actor=tenant_a.team_lead, client=tenant_a.client)

    # then
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.prev_hash == first.hash
    assert verify_chain().is_intact
    with all_clients_scope():
        assert AuditEvent.objects.count() == 2
