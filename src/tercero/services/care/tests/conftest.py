"""Fixtures shared by the care desk's tests."""

import pytest

from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def manager(tenant_a):
    """A delivery manager granted client A: holds care:setup, as agents do not."""
    person = UserFactory(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        Grant.objects.create(user=person, client=tenant_a.client, reason="manages Acme")
    return person
