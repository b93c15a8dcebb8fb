"""Django admin is scoped like every other page: an admin granted client A sees and
opens only A's rows."""

from tests.factories import engagement_for

from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory


def test_admin_lists_and_opens_only_reachable_clients_rows(client, tenant_a, tenant_b):
    mine = engagement_for(tenant_a.client, name="Acme care")
    theirs = engagement_for(tenant_b.client, name="Bergmann care")
    admin = UserFactory(email="a-only@provider.example", role=Role.PROVIDER_ADMIN)
    Grant.objects.create(user=admin, client=tenant_a.client)
    client.force_login(admin)
    listing = client.get("/admin/engagements/engagement/").content.decode()
    assert "Acme care" in listing
    assert "Bergmann care" not in listing
    assert client.get(f"/admin/engagements/engagement/{mine.pk}/change/").status_code == 200
    # another client's row does not exist here: Django admin sends you back to its index
    response = client.get(f"/admin/engagements/engagement/{theirs.pk}/change/")
    assert response.status_code == 302
    clients = client.get("/admin/tenancy/client/").content.decode()
    assert "Acme Retail" in clients
    assert "Bergmann" not in clients


def test_only_provider_admins_reach_the_admin(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    assert client.get("/admin/engagements/engagement/").status_code == 302
