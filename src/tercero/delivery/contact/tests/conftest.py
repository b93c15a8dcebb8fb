import pytest


@pytest.fixture
def maria(tenant_a):
    """Client A's agent, with a first name a customer can hear on the phone."""
    tenant_a.agent.full_name = "Maria Santos"
    tenant_a.agent.save(update_fields=["full_name"])
    return tenant_a.agent
