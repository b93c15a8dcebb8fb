"""The isolation matrix's residency dimension for care (issue 19): an engagement that allows
only onshore and nearshore sites keeps its tickets, chats and calls from people at an
offshore site granted to the same client, on every route that names an item (derived
from the matrix, so a new item route is tried here too), in lists, search, exports and
reports, and in routing (pull, push, manual). The onshore people reach them all, so
each check can fail. The world is built once for the module (see test_isolation_matrix)."""

import copy
import csv
import io
import json

import pytest

from tercero.platform.identity.services import create_api_token
from tercero.platform.tenancy.scoping import client_scope
from tests.isolation.residency import MARKER, care_snapshot, item_routes, residency_world
from tests.isolation.routes import object_path, page_path
from tests.isolation.worlds import work_of

JSON = "application/json"
OFFSHORE = ("offshore_agent", "offshore_lead")
ITEM_ROUTES = item_routes()
NO_SUCH_ID = 987654321


@pytest.fixture(scope="module")
def built_once(module_db, module_tenants) -> dict:
    tenant_a, tenant_b, _ = module_tenants
    with module_db.unblock():
        world = residency_world(tenant_a)
        work_of(tenant_b)  # another client's items beside, as in the matrix
        return {"world": world, "tenant_a": tenant_a}


@pytest.fixture
def world(in_module_db, built_once) -> dict:
    return copy.deepcopy(built_once["world"])


def _paths(route: str, kind: str, world: dict) -> list[str]:
    """The route once for each care item (or once for the ticket's file)."""
    if "attachment_id" in route:
        return [_path(route, kind, world["attachment_id"])]
    return [_path(route, kind, pk) for pk in world["items"].values()]


def _path(route: str, kind: str, pk: int) -> str:
    fill = object_path if kind == "api" else page_path
    return fill(route, {"item_id": pk, "ticket_id": pk, "attachment_id": pk})


def _send(client, kind: str, method: str, path: str, body):
    if kind == "api":
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(path, data=data, content_type=JSON)
    return getattr(client, method)(path, data=body or {})


def test_the_dimension_tries_every_care_and_work_item_route():
    # every ticket route of the care desk and every item route of the engine is tried
    assert "care/tickets/<int:ticket_id>/reply/" in ITEM_ROUTES
    assert "api/v1/care/tickets/<ticket_id>/messages" in ITEM_ROUTES
    assert "api/v1/work-items/<item_id>/personal" in ITEM_ROUTES
    assert "work/attachments/<int:attachment_id>/" in ITEM_ROUTES
    assert len(ITEM_ROUTES) >= 35


@pytest.mark.parametrize("route", sorted(ITEM_ROUTES))
def test_offshore_people_reach_no_care_item_of_an_onshore_only_engagement(client, world, route):
    kind, tries = ITEM_ROUTES[route]
    for person in OFFSHORE:
        # given a person at the offshore site, granted to the client and cleared
        client.force_login(world["people"][person])
        before = care_snapshot()
        for method, body in tries:
            # (a route closed to the person's role whatever the id answers as for no item)
            absent = _send(client, kind, method, _path(route, kind, NO_SUCH_ID), body).status_code
            for path in _paths(route, kind, world):
                # when they open or act on a care item by its id
                response = _send(client, kind, method, path, body)
                # then it does not exist for them, and shows nothing of it
                assert response.status_code in {404, absent} - {200, 422}, (route, method, person)
                assert MARKER.encode() not in response.content, (route, method, person)
        # and nothing was written, sent or recorded
        assert care_snapshot() == before, (route, person)


# Item routes an onshore team lead does not open as 200, and why.
NOT_OPENED = {
    "portal/items/<int:item_id>/": "the client's own users' page: staff get 404 for any item",
    "portal/items/<int:item_id>/status/": "the client's own users' page, as above",
    "payroll/items/<int:item_id>/panel/": "payroll's panel: 404 for any item not payroll's",
}
CONTROL = {"api/v1/work-items/<item_id>/personal": 403}  # clear values need a live reveal


@pytest.mark.parametrize(
    "route",
    sorted(
        r for r, (_, tries) in ITEM_ROUTES.items() if ("get", None) in tries and r not in NOT_OPENED
    ),
)
def test_the_onshore_team_lead_opens_every_care_item(client, world, route):
    kind, _ = ITEM_ROUTES[route]
    client.force_login(world["people"]["onshore_lead"])
    for path in _paths(route, kind, world):
        response = _send(client, kind, "get", path, None)
        assert response.status_code == CONTROL.get(route, 200), (route, path)


SEARCH = MARKER.lower()  # what a page echoes of the search is not a find
LISTS = [
    "/api/v1/work-items",
    f"/api/v1/work-items?q={SEARCH}",
    "/api/v1/work-items.csv",
    "/work/items/",
    f"/work/items/?q={SEARCH}",
    f"/work/items/?q={SEARCH}&format=csv",
]


@pytest.mark.parametrize("path", LISTS)
def test_lists_search_and_exports_hold_no_care_item_for_an_offshore_site(client, world, path):
    for person in OFFSHORE:
        # when an offshore person lists, searches or exports the client's items
        client.force_login(world["people"][person])
        response = client.get(path)
        # then none of the engagement's items is there
        assert response.status_code in (200, 403), (path, person)
        assert MARKER.encode() not in response.content, (path, person)
    # while the onshore team lead finds every one of them
    client.force_login(world["people"]["onshore_lead"])
    shown = client.get(path).content.decode()
    assert shown.count(MARKER) >= len(world["items"]), path


def test_an_offshore_api_token_reaches_no_care_item(client, world, built_once):
    tenant_a = built_once["tenant_a"]
    for person, expected in (("offshore_lead", 404), ("onshore_lead", 200)):
        # given an API token of a team lead at each site
        with client_scope(clients=[tenant_a.client]):
            _, plain = create_api_token(
                actor=world["people"][person],
                client=tenant_a.client,
                name=person,
                scopes=["work:read", "work:write"],
            )
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
        listed = client.get("/api/v1/work-items", **bearer).json()["results"]
        opened = {
            client.get(f"/api/v1/work-items/{pk}", **bearer).status_code
            for pk in world["items"].values()
        }
        messages = client.get(f"/api/v1/care/tickets/{world['items']['ticket']}/messages", **bearer)
        found = {row["id"] for row in listed} & set(world["items"].values())
        shown = found == set(world["items"].values())
        assert (shown, opened, messages.status_code) == (expected == 200, {expected}, expected)


def _report_volumes(client, world) -> tuple:
    client_id, engagement_id = world["client_id"], world["engagement_id"]
    api = client.get(
        f"/api/v1/care/reports?client_id={client_id}&engagement_id={engagement_id}"
    ).json()
    page = client.get(f"/care/reports/?client={client_id}&engagement={engagement_id}&format=csv")
    rows = list(csv.reader(io.StringIO(page.content.decode())))
    assert rows[-1][0] == "Total"
    return api["total"]["volume"], int(rows[-1][rows[0].index("Tickets")])


def test_the_care_report_counts_no_care_item_for_an_offshore_site(client, world):
    client.force_login(world["people"]["offshore_lead"])
    offshore = _report_volumes(client, world)
    client.force_login(world["people"]["onshore_lead"])
    onshore = _report_volumes(client, world)
    assert (offshore, onshore) == ((0, 0), (len(world["items"]),) * 2)


def test_get_next_never_gives_a_care_item_to_the_offshore_agent(client, world):
    # when the offshore agent pulls, by the API and on the workspace page
    client.force_login(world["people"]["offshore_agent"])
    before = care_snapshot()
    pulled = client.post("/api/v1/agents/me/next", content_type=JSON)
    page = client.post("/work/next/")
    # then nothing is given and nothing is assigned
    assert pulled.status_code == 204
    assert page.status_code in (200, 302)
    assert care_snapshot() == before
    # while the onshore agent is given every item in turn
    client.force_login(world["people"]["onshore_agent"])
    taken = {
        client.post("/api/v1/agents/me/next", content_type=JSON).json()["id"]
        for _ in world["items"]
    }
    assert taken == set(world["items"].values())


def test_no_care_item_is_assigned_to_the_offshore_agent_by_hand(client, world):
    from tercero.delivery.workforce.models import Agent
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        offshore = Agent.objects.get(user=world["people"]["offshore_agent"])
    client.force_login(world["people"]["onshore_lead"])
    before = care_snapshot()
    for pk in world["items"].values():
        # when the onshore team lead assigns a care item to the offshore agent
        response = client.post(
            f"/api/v1/work-items/{pk}/assign",
            json.dumps({"agent_id": offshore.pk}),
            content_type=JSON,
        )
        # then it is refused in words, naming the residency rule
        assert response.status_code == 422, response.content
        assert "residency" in response.content.decode()
    assert care_snapshot()[1:] == before[1:]


def test_a_push_queue_never_offers_a_care_item_to_the_offshore_agent(world, built_once):
    from tercero.delivery.work.models import Assignment, WorkItem
    from tercero.delivery.work.tests.conftest import make_queue
    from tercero.delivery.workforce.models import Agent
    from tercero.delivery.workforce.services import set_presence
    from tercero.platform.tenancy.scoping import all_clients_scope
    from tercero.services.care import inbound
    from tercero.services.care.models import Mailbox
    from tercero.services.care.tests.test_inbound import mail

    tenant_a = built_once["tenant_a"]
    with all_clients_scope():
        agents = {p: Agent.objects.get(user=world["people"][p]) for p in world["people"]}
    for person in ("onshore_agent", "onshore_lead", "offshore_lead"):
        set_presence(agent=agents[person], presence="offline")
    with client_scope(clients=[tenant_a.client]):
        engagement = WorkItem.objects.get(pk=world["items"]["ticket"]).engagement
    push = make_queue(engagement, name="Push", work_types=["care.ticket"], routing="push")
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=push, address="push@z.example"
        )
        # when a customer mails in while only the offshore agent is available
        made = inbound.ingest(mailbox=box, raw=mail(message_id="<push@example.org>"))
        ticket = WorkItem.objects.get(pk=made.item_id)
        # then the ticket waits in the queue rather than going offshore
        assert (ticket.status, ticket.assignee_id) == ("queued", None)
        assert not Assignment.objects.filter(agent=agents["offshore_agent"]).exists()


def test_an_offshore_team_lead_cannot_link_or_merge_a_ticket_into_a_hidden_one(client, world):
    # given a ticket the offshore team lead may work on, of an engagement without the rule
    client.force_login(world["people"]["offshore_lead"])
    mine, hidden = world["open_ticket_id"], world["items"]["ticket"]
    before = care_snapshot()[1:]
    for how in ("merge", "link"):
        # when they name a hidden ticket as the other one, on the page and in the API
        page = client.post(f"/care/tickets/{mine}/relate/", {"other": str(hidden), "how": how})
        api = client.post(
            f"/api/v1/care/tickets/{mine}/links",
            json.dumps({"other": hidden, "how": how}),
            content_type=JSON,
        )
        # then there is no such ticket for them, and nothing is linked or merged
        assert api.status_code == 404, api.content
        assert page.status_code == 302
        shown = client.get(page["Location"]).content.decode()
        assert f"There is no ticket #{hidden} here." in shown
        assert MARKER not in shown
    assert care_snapshot()[1:] == before


def test_bulk_actions_of_an_offshore_team_lead_pass_over_hidden_care_items(client, world):
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.tenancy.scoping import all_clients_scope

    client.force_login(world["people"]["offshore_lead"])
    before = care_snapshot()
    for action in ({"bulk_action": "priority", "priority": "1"}, {"bulk_action": "cancel"}):
        # when the offshore team lead ticks the hidden care items and acts on them
        ids = [str(pk) for pk in world["items"].values()]
        response = client.post("/work/items/bulk/", {"item": ids, **action}, follow=True)
        # then none is touched, and the page names none of them
        assert "Tick at least one item first." in response.content.decode()
        assert MARKER not in response.content.decode()
    assert care_snapshot() == before
    # while the item of an engagement without the rule is theirs to act on
    client.post(
        "/work/items/bulk/",
        {"item": [str(world["open_ticket_id"])], "bulk_action": "priority", "priority": "1"},
    )
    with all_clients_scope():
        assert WorkItem.objects.get(pk=world["open_ticket_id"]).priority == 1


def test_the_live_floor_lists_no_hidden_care_item_at_risk(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from tercero.delivery.work.models import WorkItem
    from tercero.platform.tenancy.scoping import all_clients_scope

    # given the engagement's care items past their deadlines
    with all_clients_scope():
        WorkItem.objects.filter(pk__in=world["items"].values()).update(
            due_at=timezone.now() - timedelta(hours=1)
        )
    for page in ("/ops/", "/ops/live/"):
        # when the offshore team lead watches the floor
        client.force_login(world["people"]["offshore_lead"])
        offshore = client.get(page).content.decode()
        # then the breached items are not listed for them; the onshore team lead sees them
        client.force_login(world["people"]["onshore_lead"])
        onshore = client.get(page).content.decode()
        assert (MARKER in offshore, onshore.count(MARKER) >= len(world["items"])) == (False, True)


def test_a_link_to_a_hidden_ticket_is_not_shown_to_an_offshore_team_lead(client, world):
    mine, hidden = world["open_ticket_id"], world["items"]["ticket"]
    # given the onshore team lead linked a ticket everyone may open to a hidden one
    client.force_login(world["people"]["onshore_lead"])
    linked = client.post(
        f"/api/v1/care/tickets/{mine}/links",
        json.dumps({"other": hidden, "how": "link"}),
        content_type=JSON,
    )
    assert linked.status_code == 201, linked.content
    assert MARKER in client.get(f"/care/tickets/{mine}/").content.decode()
    # when the offshore team lead opens that ticket
    client.force_login(world["people"]["offshore_lead"])
    panel = client.get(f"/care/tickets/{mine}/")
    # then it opens, with nothing of the hidden ticket on it
    assert panel.status_code == 200
    assert MARKER not in panel.content.decode()
    assert f"/work/items/{hidden}/" not in panel.content.decode()
