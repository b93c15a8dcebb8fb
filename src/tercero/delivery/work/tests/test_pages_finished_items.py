"""A finished item reads as finished on every page: met or missed, when it ended, no
future due time, no "Nobody yet" and no "On track" (issue 20, item 2)."""

import re

import pytest

from tercero.delivery.work import services
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.platform.tenancy.scoping import client_scope


@pytest.fixture
def resolved_early(tenant_a):
    """An item resolved before its due time by the record it stands for, never assigned."""
    engagement = live_engagement(
        tenant_a.client,
        name="Keying",
        sla_targets=[{"metric": "resolution", "target_seconds": 8 * 3600}],
    )
    queue = make_queue(engagement, name="Forms")
    item = add_item(queue)
    with client_scope(clients=[tenant_a.client.pk]):
        services.close_for_record(
            actor=tenant_a.team_lead, item_id=item.pk, action="resolve", text="Done by the record."
        )
        item.refresh_from_db()
    assert item.status == "resolved"
    assert item.resolved_at < item.due_at  # due in the future
    return item


def test_the_staff_item_page_of_a_finished_item_shows_when_it_ended_not_a_future_due_time(
    client, tenant_a, resolved_early
):
    # given an item resolved before its due time and never assigned
    client.force_login(tenant_a.team_lead)
    # when the lead opens it
    page = client.get(f"/work/items/{resolved_early.pk}/").content.decode()
    # then it is met, resolved at a time, with no due time ahead and no agent to come
    assert '<span class="badge ok">Met</span>' in page
    assert '<dt>Resolved</dt><dd id="sla-finished">' in page
    assert "<dt>Due</dt>" not in page
    assert "Was due" not in page  # the due time has not come yet
    assert "Nobody yet" not in page
    assert "None: finished without an agent" in page
    assert "On track" not in page


def test_the_portal_item_page_of_a_finished_item_shows_no_future_due_time(
    client, tenant_a, resolved_early
):
    client.force_login(tenant_a.client_user)
    page = client.get(f"/portal/items/{resolved_early.pk}/").content.decode()
    assert '<span class="badge ok">Met</span>' in page
    assert "<dt>Resolved</dt>" in page
    assert "<dt>Due</dt>" not in page
    assert "On track" not in page


def _due_cell(page: str, item_id: int) -> str:
    row = page.split(f'<td data-label="#">{item_id}</td>')[1].split("</tr>")[0]
    found = re.search(r'<td data-label="Due">(.*?)</td>', row)
    assert found is not None
    return found.group(1)


def test_the_item_lists_show_no_future_due_time_for_a_finished_item(
    client, tenant_a, resolved_early
):
    client.force_login(tenant_a.team_lead)
    staff = client.get("/work/items/").content.decode()
    assert _due_cell(staff, resolved_early.pk) == "—"
    client.force_login(tenant_a.client_user)
    portal = client.get("/portal/items/").content.decode()
    assert _due_cell(portal, resolved_early.pk) == "—"


def test_the_sla_filter_says_finished_items_count_as_met_or_missed(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    page = client.get("/work/items/").content.decode()
    assert "On track, or met when finished" in page
    assert "Breached, or missed when finished" in page
