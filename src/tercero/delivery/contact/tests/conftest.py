import pytest

from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def maria(tenant_a):
    """Client A's agent, with a first name a customer can hear on the phone."""
    tenant_a.agent.full_name = "Maria Santos"
    with all_clients_scope():  # a staff member's row belongs to no client
        tenant_a.agent.save(update_fields=["full_name"])
    return tenant_a.agent
