"""The live queue wallboard: waiting, longest wait, service level today and abandoned
chats per queue, only for the viewer's clients, refreshed by htmx polling."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from tests.factories import site

from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def chats(tenant_a):
    return make_queue(live_engagement(tenant_a.client, name="Care"), name="Chats")


def _set(item, **fields):
    with client_scope(clients=[item.client_id]):
        WorkItem.objects.filter(pk=item.pk).update(**fields)


def _today(queue):
    """Two waiting (queued 12 and 3 minutes ago); four answered or due today with a
    first-response target, three in time; one chat ended unanswered; one from yesterday."""
    items = [add_item(queue) for _ in range(8)]
    for item, minutes in ((items[0], 12), (items[1], 3)):
        _set(
            item, status="queued", queued_at=NOW - timedelta(minutes=minutes), response_due_at=None
        )
    due = NOW.replace(hour=10)
    for item, answered in (
        (items[2], due - timedelta(minutes=5)),
        (items[3], due),
        (items[4], due - timedelta(minutes=1)),
        (items[5], due + timedelta(minutes=1)),
    ):
        _set(
            item,
            status="in_progress",
            created_at=NOW.replace(hour=9),
            response_due_at=due,
            first_response_at=answered,
        )
    _set(
        items[6],
        status="cancelled",
        channel="chat",
        created_at=NOW.replace(hour=11),
        first_response_at=None,
        response_due_at=None,
    )
    _set(
        items[7],
        status="cancelled",
        channel="chat",
        created_at=NOW - timedelta(days=1),
        first_response_at=None,
        response_due_at=None,
    )
    return items


def test_the_wallboard_shows_each_queues_figures_for_today(client, tenant_a, chats):
    _today(chats)
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/ops/wallboard/").content.decode()
    tile = page.split(f'id="wall-queue-{chats.pk}"')[1].split("</section>")[0]
    assert "<dt>Waiting</dt><dd>2</dd>" in tile
    assert "<dt>Longest wait</dt><dd>12 min</dd>" in tile
    assert "<dt>Service level today</dt><dd>75.0 %</dd>" in tile
    assert "<dt>Abandoned today</dt><dd>1</dd>" in tile
    assert '<p class="wall-figure" id="wall-waiting">2</p>' in page
    assert '<p class="wall-figure" id="wall-service-level">75.0 %</p>' in page
    assert '<p class="wall-figure" id="wall-abandoned">1</p>' in page


def test_a_queue_without_response_targets_uses_todays_judged_resolutions(client, tenant_a, chats):
    items = [add_item(chats) for _ in range(3)]
    for item, met in zip(items, (True, True, False), strict=True):
        _set(
            item,
            status="resolved",
            resolved_at=NOW.replace(hour=9),
            sla_met=met,
            response_due_at=None,
        )
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/ops/wallboard/live/").content.decode()
    assert "<dt>Service level today</dt><dd>66.7 %</dd>" in page
    assert "<dt>Longest wait</dt><dd>—</dd>" in page


def test_the_wallboard_shows_only_the_viewers_clients(client, tenant_a, tenant_b, chats):
    theirs = make_queue(live_engagement(tenant_b.client, name="B care"), name="Bergmann chats")
    add_item(theirs)
    client.force_login(tenant_a.team_lead)
    page = client.get("/ops/wallboard/").content.decode()
    assert f'id="wall-queue-{chats.pk}"' in page
    assert "Bergmann chats" not in page
    assert '<p class="wall-figure" id="wall-waiting">0</p>' in page


@pytest.mark.parametrize("path", ["/ops/wallboard/", "/ops/wallboard/live/"])
def test_another_clients_board_or_a_wrong_client_is_not_found(
    client, tenant_a, tenant_b, chats, path
):
    client.force_login(tenant_a.team_lead)
    assert client.get(f"{path}?client={tenant_b.client.pk}").status_code == 404
    assert client.get(f"{path}?client=acme").status_code == 404
    assert client.get(f"{path}?client={tenant_a.client.pk}").status_code == 200


def test_the_wallboard_refreshes_itself_without_any_script_from_elsewhere(client, tenant_a, chats):
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/ops/wallboard/?client={tenant_a.client.pk}").content.decode()
    assert f'hx-get="/ops/wallboard/live/?client={tenant_a.client.pk}"' in page
    assert 'hx-trigger="every 10s"' in page
    assert "/static/work/wallboard.css" in page
    assert "https://" not in page.split("<body")[0]


def test_the_wallboard_takes_as_many_queries_for_twenty_queues_as_for_one(
    client, tenant_a, chats, django_assert_max_num_queries
):
    client.force_login(tenant_a.team_lead)
    add_item(chats)
    with django_assert_max_num_queries(12) as few:
        client.get("/ops/wallboard/live/")
    engagement = chats.engagement
    for n in range(20):
        add_item(make_queue(engagement, name=f"Queue {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/ops/wallboard/live/").content.decode()
    assert page.count('class="wall-queue') == 21


def _lead_at(engagement, at_site):
    agent = make_agent(engagement, site_=at_site)
    agent.user.role = Role.TEAM_LEAD
    with all_clients_scope():  # people are provider-wide rows
        agent.user.save()
    return agent.user


def test_an_offshore_lead_does_not_count_items_kept_onshore(client, tenant_a):
    # given an onshore-only engagement of a US client with a waiting item holding
    # personal data, and leads at an onshore and an offshore site
    engagement = live_engagement(
        tenant_a.client, name="Health care", residency_allowed_shores=["onshore", "nearshore"]
    )
    queue = make_queue(engagement, name="Patients")
    _set(add_item(queue), status="queued", personal_data=True)
    austin = site(name="Austin", country="US", time_zone="America/Chicago", city="Austin")
    manila = site(name="Manila", country="PH", time_zone="Asia/Manila", city="Manila")
    # when each opens the wallboard; then only the onshore lead counts the item
    for lead, waiting in ((_lead_at(engagement, austin), 1), (_lead_at(engagement, manila), 0)):
        client.force_login(lead)
        page = client.get("/ops/wallboard/live/").content.decode()
        tile = page.split(f'id="wall-queue-{queue.pk}"')[1].split("</section>")[0]
        assert f"<dt>Waiting</dt><dd>{waiting}</dd>" in tile, lead.email
