"""The floor per agent: who may open it, whom each viewer sees, the figures for today in
words, filters, search, CSV export (audited), and a query count that does not grow with
the number of agents."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tercero.delivery.work import floor_agents
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.delivery.workforce.models import Agent, PresenceChange
from tercero.delivery.workforce.services import add_to_team, create_site, create_team
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def floor(tenant_a):
    """Client A's desk with two teams: Ana's (led by A's team lead) at Manila and Ben's
    (no lead) at Cebu."""
    engagement = live_engagement(tenant_a.client, name="Care")
    queue = make_queue(engagement, name="Inbox")
    provider = tenant_a.client.provider
    cebu = create_site(
        actor=None,
        provider=provider,
        name="Cebu",
        country="PH",
        city="Cebu",
        time_zone="Asia/Manila",
        languages=["en"],
        hourly_cost_minor=800,
        currency="USD",
    )
    ana = make_agent(engagement, email="ana@provider.example")
    ben = make_agent(engagement, site_=cebu, email="ben@provider.example")
    ana.user.full_name, ben.user.full_name = "Ana Reyes", "Ben Cruz"
    with all_clients_scope():  # people are under row-level security on PostgreSQL
        ana.user.save(update_fields=["full_name"])
        ben.user.save(update_fields=["full_name"])
    mine = create_team(
        actor=tenant_a.team_lead, provider=provider, name="Care A", lead=tenant_a.team_lead
    )
    other = create_team(actor=tenant_a.team_lead, provider=provider, name="Care B")
    add_to_team(actor=tenant_a.team_lead, team=mine, agent=ana)
    add_to_team(actor=tenant_a.team_lead, team=other, agent=ben)
    return {"queue": queue, "ana": ana, "ben": ben, "mine": mine, "other": other, "cebu": cebu}


def _manager(*tenants):
    manager: User = UserFactory.create(email="ops@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        for tenant in tenants:
            Grant.objects.create(user=manager, client=tenant.client, reason="fixture")
    return manager


def _names(page: str) -> list[str]:
    table = page.split('id="floor-agents"')[1].split("</table>")[0]
    return [
        cell.split(">", 1)[1].split("<")[0] for cell in table.split('<td data-label="Agent"')[1:]
    ]


def test_a_team_lead_sees_only_the_agents_of_the_teams_they_lead(client, tenant_a, floor):
    client.force_login(tenant_a.team_lead)
    page = client.get("/ops/agents/").content.decode()
    assert _names(page) == ["Ana Reyes"]
    assert "for the agents of the teams you lead" in page


def test_a_delivery_manager_sees_every_agent_of_their_clients_and_no_other(
    client, tenant_a, tenant_b, floor
):
    # given an agent granted to client B only
    outsider = make_agent(live_engagement(tenant_b.client), email="otto@provider.example")
    outsider.user.full_name = "Otto Other"
    with all_clients_scope():
        outsider.user.save(update_fields=["full_name"])
    client.force_login(_manager(tenant_a))
    page = client.get("/ops/agents/").content.decode()
    assert _names(page) == ["Ana Reyes", "Ben Cruz"]
    assert "Otto Other" not in page


@pytest.mark.parametrize("who", ["agent", "client_user"])
def test_agents_and_client_users_cannot_open_the_floor_per_agent(client, tenant_a, floor, who):
    client.force_login(getattr(tenant_a, who))
    expected = 403 if who == "agent" else 404
    assert client.get("/ops/agents/").status_code == expected
    assert client.get("/ops/agents/?format=csv").status_code == expected
    assert client.get("/ops/wallboard/").status_code == expected
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action="floor.agents.exported").exists()


def _today(floor, tenant_a):
    """Ana: available since 08:00 after a break 07:00-08:00 (offline before), two
    items resolved today (10 and 20 minutes' work), a chat in hand worked for 5 minutes
    plus 10 running; an item of the day before does not count."""
    ana = floor["ana"]
    Agent.objects.filter(pk=ana.pk).update(presence="available", presence_since=NOW.replace(hour=8))
    PresenceChange.objects.filter(agent=ana).delete()
    for hour, presence, previous in ((7, "break", "offline"), (8, "available", "break")):
        PresenceChange.objects.create(
            agent=ana, presence=presence, previous=previous, at=NOW.replace(hour=hour)
        )
    items = [add_item(floor["queue"]) for _ in range(4)]
    with client_scope(clients=[tenant_a.client]):
        for item, seconds, resolved in (
            (items[0], 600, NOW.replace(hour=9)),
            (items[1], 1200, NOW.replace(hour=10)),
            (items[2], 3000, NOW - timedelta(days=1)),
        ):
            WorkItem.objects.filter(pk=item.pk).update(
                status="resolved", assignee=ana, handle_seconds=seconds, resolved_at=resolved
            )
        WorkItem.objects.filter(pk=items[3].pk).update(
            status="in_progress",
            channel="chat",
            assignee=ana,
            handle_seconds=300,
            working_since=NOW - timedelta(minutes=10),
        )


def test_state_items_handle_time_and_occupancy_are_worked_out_for_today(client, tenant_a, floor):
    _today(floor, tenant_a)
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/ops/agents/").content.decode()
    row = page.split(f'id="agent-{floor["ana"].pk}"')[1].split("</tr>")[0]
    assert '<td data-label="State"><span class="badge state-available">Available</span>' in row
    assert '<td data-label="Time in state">7 h 00 min</td>' in row
    assert '<td data-label="Items in hand">1 Chat</td>' in row
    assert '<td data-label="Resolved today">2</td>' in row
    assert '<td data-label="Average handle time">15 min</td>' in row
    # 600 + 1200 + 300 + 600 seconds handled over 7 hours staffed = 11 %
    assert '<td data-label="Occupancy today">11 %</td>' in row


def test_an_agent_nobody_staffed_today_says_so_in_words(client, tenant_a, floor):
    Agent.objects.filter(pk=floor["ana"].pk).update(
        presence="offline", presence_since=NOW - timedelta(days=2)
    )
    PresenceChange.objects.filter(agent=floor["ana"]).delete()
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/ops/agents/").content.decode()
    row = page.split(f'id="agent-{floor["ana"].pk}"')[1].split("</tr>")[0]
    assert "not staffed today" in row
    assert '<td data-label="Items in hand">none</td>' in row
    assert '<td data-label="Average handle time">—</td>' in row


def test_items_of_a_client_the_viewer_cannot_reach_are_not_counted(
    client, tenant_a, tenant_b, floor
):
    # given Ana also works for client B and holds one of its items
    other = make_queue(live_engagement(tenant_b.client, name="B care"), name="B inbox")
    item = add_item(other)
    with client_scope(clients=[tenant_b.client]):
        WorkItem.objects.filter(pk=item.pk).update(status="assigned", assignee=floor["ana"])
    client.force_login(_manager(tenant_a))
    page = client.get("/ops/agents/").content.decode()
    row = page.split(f'id="agent-{floor["ana"].pk}"')[1].split("</tr>")[0]
    assert '<td data-label="Items in hand">none</td>' in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("site={cebu}", ["Ben Cruz"]),
        ("team={mine}", ["Ana Reyes"]),
        ("state=break", ["Ben Cruz"]),
        ("q=reyes", ["Ana Reyes"]),
        ("q=ben@provider", ["Ben Cruz"]),
        ("q=nobody", []),
        ("site=999999", ["Ana Reyes", "Ben Cruz"]),
    ],
)
def test_filters_and_search_narrow_the_floor(client, tenant_a, floor, query, expected):
    Agent.objects.filter(pk=floor["ben"].pk).update(presence="break")
    client.force_login(_manager(tenant_a))
    path = "/ops/agents/?" + query.format(cebu=floor["cebu"].pk, mine=floor["mine"].pk)
    page = client.get(path).content.decode()
    assert _names(page) == expected


def test_a_team_lead_is_offered_only_the_teams_they_lead(client, tenant_a, floor):
    client.force_login(tenant_a.team_lead)
    page = client.get("/ops/agents/").content.decode()
    picker = page.split('id="filter-team"')[1].split("</select>")[0]
    assert "Care A" in picker
    assert "Care B" not in picker


def test_the_csv_export_lists_every_matching_agent_with_figures_and_is_audited(
    client, tenant_a, floor
):
    _today(floor, tenant_a)
    manager = _manager(tenant_a)
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/ops/agents/?format=csv&q=ana")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Agent", "E-mail", "Site", "Team", "State"]
    assert rows[1] == [
        "Ana Reyes",
        "ana@provider.example",
        "Manila",
        "Care A",
        "Available",
        "25200",
        "1",
        "1 Chat",
        "2",
        "2700",
        "900",
        "25200",
        "11",
    ]
    assert len(rows) == 2
    with all_clients_scope():
        event = AuditEvent.objects.get(action="floor.agents.exported")
    assert event.actor_id == manager.pk
    assert event.payload == {"rows": 1, "filters": {"q": "ana"}}


def test_the_query_count_does_not_grow_with_the_number_of_agents(
    client, tenant_a, floor, django_assert_max_num_queries
):
    # given 50 agents in the lead's team, each with an item in hand and a presence change
    manager = _manager(tenant_a)
    client.force_login(manager)
    with django_assert_max_num_queries(16) as few:
        client.get("/ops/agents/?per_page=100")
    engagement = floor["queue"].engagement
    for n in range(50):
        agent = make_agent(engagement, email=f"agent{n}@provider.example")
        add_to_team(actor=manager, team=floor["mine"], agent=agent)
        item = add_item(floor["queue"])
        with client_scope(clients=[tenant_a.client]):
            WorkItem.objects.filter(pk=item.pk).update(status="assigned", assignee=agent)
    # when the page lists 52 agents; then it takes as many queries as for two
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/ops/agents/?per_page=100").content.decode()
    assert "52 in all" in page


def test_staffed_time_counts_only_available_and_busy_spells():
    start = datetime(2026, 12, 7, tzinfo=UTC)
    changes = [
        (start.replace(hour=8), "available", "offline"),
        (start.replace(hour=10), "break", "available"),
        (start.replace(hour=10, minute=30), "busy", "break"),
    ]
    seconds = floor_agents.staffed_seconds(
        changes, presence="busy", since=changes[-1][0], start=start, now=start.replace(hour=12)
    )
    assert seconds == 2 * 3600 + 90 * 60


def test_staffed_time_without_changes_today_runs_from_midnight_or_the_state_start():
    start = datetime(2026, 12, 7, tzinfo=UTC)
    now = start.replace(hour=6)
    yesterday = start - timedelta(hours=3)
    assert (
        floor_agents.staffed_seconds(
            [], presence="available", since=yesterday, start=start, now=now
        )
        == 6 * 3600
    )
    assert (
        floor_agents.staffed_seconds([], presence="offline", since=yesterday, start=start, now=now)
        == 0
    )
