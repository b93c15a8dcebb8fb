"""The engagement page's status control: nothing is chosen for the person, and ending an
engagement happens only when they confirm it."""

from tests.factories import engagement_for

from tercero.delivery.engagements.models import Engagement
from tercero.platform.tenancy.scoping import all_clients_scope


def test_the_status_control_chooses_nothing_by_default(client, provider_admin, tenant_a):
    # given a live engagement, whose only move is to end it
    engagement = engagement_for(tenant_a.client, name="Care 24/7", status="live")
    client.force_login(provider_admin)
    # when its page is opened
    page = client.get(f"/engagements/{engagement.pk}/").content.decode()
    # then the control offers Ended without choosing it, and the form asks to confirm it
    control = page.split('id="status-to"')[1].split("</select>")[0]
    assert '<option value="" selected>Choose a status…</option>' in control
    assert '<option value="ended">Ended</option>' in control
    assert 'data-confirm-value="ended"' in page


def test_ending_an_engagement_without_confirming_changes_nothing(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care 24/7", status="live")
    client.force_login(provider_admin)
    response = client.post(
        f"/engagements/{engagement.pk}/status/", {"status": "ended", "confirmed": ""}, follow=True
    )
    assert "Confirm that Care 24/7 ends; nothing was changed." in response.content.decode()
    with all_clients_scope():
        assert Engagement.objects.get(pk=engagement.pk).status == "live"
    client.post(f"/engagements/{engagement.pk}/status/", {"status": "ended", "confirmed": "yes"})
    with all_clients_scope():
        assert Engagement.objects.get(pk=engagement.pk).status == "ended"
