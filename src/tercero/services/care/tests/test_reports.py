"""The care report's API takes the page's filters and days, reaches only the caller's
clients, and the page and API cost the same number of queries however many tickets there
are. (The figures themselves are worked out by hand in test_reporting.py.)"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.factories import site

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care.models import Message, Survey

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAYS = "start=2026-11-01&end=2026-11-20"  # Acme's days: New York time


def _ticket(queue, client, *, at, channel="email", agent=None, replies=1, score=None):
    with client_scope(clients=[client]):
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="care.ticket",
            channel=channel,
            payload={"subject": "Where is my order?"},
        )
        WorkItem.objects.filter(pk=item.pk).update(
            created_at=at,
            status="resolved",
            assignee=agent,
            first_response_at=at + timedelta(minutes=20),
            resolved_at=at + timedelta(hours=3),
            sla_met=True,
        )
        for n in range(replies):
            Message.objects.create(
                client=client,
                item=item,
                direction="outbound",
                message_id=f"<{item.pk}-{n}@test>",
                body="reply",
            )
        if score is not None:
            Survey.objects.create(
                client=client,
                item=item,
                token_hash=f"{item.pk:0>64}",
                sent_at=at,
                expires_at=at + timedelta(days=7),
                answered_at=at + timedelta(days=1),
                score=score,
            )
    return item


@pytest.fixture
def reach(tenant_a, tenant_b):
    """Acme (New York) with agents X at Manila and Y at Bogota; Bergmann with agent Z at
    Berlin, who never worked an Acme ticket."""
    ours = live_engagement(tenant_a.client, name="Orders")
    theirs = live_engagement(tenant_b.client, name="Service")
    x = make_agent(ours, site_=site(name="Manila"))
    y = make_agent(ours, site_=site(name="Bogota", country="CO", time_zone="America/Bogota"))
    z = make_agent(theirs, site_=site(name="Berlin", country="DE", time_zone="Europe/Berlin"))
    queue = make_queue(ours, work_types=["care.ticket"])
    other = make_queue(theirs, work_types=["care.ticket"])
    a = tenant_a.client
    # 11-01 02:00 UTC is 31 Oct 22:00 in New York: before Acme's 1 November
    _ticket(queue, a, at=datetime(2026, 11, 1, 2, 0, tzinfo=UTC), channel="email", agent=x)
    _ticket(queue, a, at=datetime(2026, 11, 5, 12, 0, tzinfo=UTC), channel="chat", agent=x)
    _ticket(queue, a, at=datetime(2026, 11, 10, 12, 0, tzinfo=UTC), channel="email", agent=y)
    # 11-21 03:00 UTC is 20 Nov 23:00 in New York: still Acme's 20 November
    _ticket(queue, a, at=datetime(2026, 11, 21, 3, 0, tzinfo=UTC), channel="phone", agent=y)
    _ticket(other, tenant_b.client, at=datetime(2026, 11, 10, 12, 0, tzinfo=UTC), agent=z)
    return {"x": x, "y": y, "z": z, "engagement": theirs, "queue": queue}


def _api(client, query):
    with time_machine.travel(NOW, tick=False):
        return client.get(f"/api/v1/care/reports?{DAYS}&{query}")


def _page_total(client, query):
    with time_machine.travel(NOW, tick=False):
        answer = client.get(f"/care/reports/?{DAYS}&{query}&format=csv")
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.content.decode())))[-1]


def test_the_api_counts_the_clients_own_days_and_takes_the_page_filters(reach, client, tenant_a):
    # protects: a client's dashboard agrees with the report page, day for day
    client.force_login(tenant_a.team_lead)
    total = _api(client, "").json()["total"]
    # the 1 Nov 02:00 UTC e-mail is October in New York; the 21 Nov 03:00 UTC call is not
    assert (total["volume"], total["by_channel"]) == (3, {"chat": 1, "email": 1, "phone": 1})
    assert _page_total(client, "")[:2] == ["Total", "3"]
    x, y = reach["x"], reach["y"]
    narrowed = {
        f"agent_id={x.pk}": (f"agent={x.pk}", 1),  # the chat
        f"site_id={y.site_id}": (f"site={y.site_id}", 2),  # Y's e-mail and call
        f"client_id={tenant_a.client.pk}": (f"client={tenant_a.client.pk}", 3),
        "channel=phone": ("channel=phone", 1),
    }
    for api_query, (page_query, volume) in narrowed.items():
        assert _api(client, api_query).json()["total"]["volume"] == volume, api_query
        assert _page_total(client, page_query)[:2] == ["Total", str(volume)], page_query
    by_site = {row["label"]: row["volume"] for row in _api(client, "group_by=site").json()["rows"]}
    assert by_site == {"Bogota": 2, "Manila": 1}


def test_another_clients_client_agent_or_site_is_404_on_page_and_api(
    reach, client, tenant_a, tenant_b
):
    # protects: no way to read another company's figures by naming its people or places
    z = reach["z"]
    outsiders = {
        "api": [
            f"client_id={tenant_b.client.pk}",
            f"agent_id={z.pk}",
            f"site_id={z.site_id}",
            f"engagement_id={reach['engagement'].pk}",
        ],
        "page": [
            f"client={tenant_b.client.pk}",
            f"agent={z.pk}",
            f"site={z.site_id}",
            f"engagement={reach['engagement'].pk}",
        ],
    }
    for user in (tenant_a.team_lead, tenant_a.client_user):
        client.force_login(user)
        for query in outsiders["api"]:
            assert _api(client, query).status_code == 404, (user.role, query)
        with time_machine.travel(NOW, tick=False):
            for query in outsiders["page"]:
                assert client.get(f"/care/reports/?{query}").status_code == 404, (user, query)
        assert _api(client, "").json()["total"]["volume"] == 3
    client.force_login(tenant_b.client_admin)
    assert _api(client, "").json()["total"]["volume"] == 1
    assert _api(client, f"agent_id={reach['x'].pk}").status_code == 404
    client.force_login(tenant_a.agent)
    assert _api(client, "").status_code == 403


def test_page_and_api_queries_stay_flat_as_tickets_grow(reach, client, tenant_a):
    # protects: the report stays quick for a client with thousands of tickets
    client.force_login(tenant_a.team_lead)
    page, api = f"/care/reports/?{DAYS}&group_by=agent", f"/api/v1/care/reports?{DAYS}"

    def cost():
        with time_machine.travel(NOW, tick=False):
            client.get(page)  # the session's first touch is not the report's cost
            with CaptureQueriesContext(connection) as on_page:
                shown = client.get(page)
            with CaptureQueriesContext(connection) as on_api:
                answered = client.get(api)
        assert shown.status_code == answered.status_code == 200
        return len(on_page), len(on_api), answered.json()["total"]["volume"]

    few = cost()
    agents = [reach["x"], reach["y"]]
    for n in range(24):
        _ticket(
            reach["queue"],
            tenant_a.client,
            at=datetime(2026, 11, 2 + n % 17, 15, 0, tzinfo=UTC),
            channel=("email", "chat", "phone")[n % 3],
            agent=agents[n % 2],
            replies=n % 3,
            score=1 + n % 5,
        )
    many = cost()
    assert (few[2], many[2]) == (3, 27)
    assert many[:2] == few[:2]
