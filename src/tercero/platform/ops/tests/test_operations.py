"""The operations page and /api/v1/ops/health show each background consumer's lag (the
oldest event it has not handled yet) to provider staff, and nothing to anyone else."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tercero.delivery.work import outbox
from tercero.delivery.work.tests.conftest import (  # the test work types, as a fixture
    add_item,
    live_engagement,
    make_queue,
    work_types,  # noqa: F401
)
from tercero.platform.identity.services import create_api_token
from tercero.platform.ops import selectors
from tercero.platform.ops.selectors import Backlog, backlogs, register_backlog
from tercero.platform.tenancy.scoping import client_scope

HEALTH = "/api/v1/ops/health"
pytestmark = pytest.mark.usefixtures("work_types")


@pytest.fixture
def waiting_events(tenant_a):
    """One item (two events) waiting for every consumer, written 90 s ago."""
    queue = make_queue(live_engagement(tenant_a.client))
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        return add_item(queue)


@pytest.fixture
def probes():
    """The registered probes, restored after a test that adds its own."""
    kept = dict(selectors._PROBES)
    yield
    selectors._PROBES.clear()
    selectors._PROBES.update(kept)


def _row(backlogs_out: list[dict], source: str, consumer: str) -> dict:
    [row] = [b for b in backlogs_out if (b["source"], b["consumer"]) == (source, consumer)]
    return row


def test_the_operations_page_shows_each_consumers_lag_to_staff(client, tenant_a, waiting_events):
    # given
    client.force_login(tenant_a.team_lead)

    # when
    response = client.get("/ops/health/")

    # then: the audit chain's consumer has two events waiting, the oldest 90 s old
    assert response.status_code == 200
    audit = _row([vars(b) for b in response.context["backlogs"]], "outbox", "audit")
    assert audit["waiting"] == 2
    assert 90 <= audit["oldest_waiting_seconds"] < 150
    page = response.content.decode()
    assert "<h1>Operations</h1>" in page
    assert '<td data-label="Consumer">audit</td>' in page
    assert '<td data-label="Consumer">sending</td>' in page
    assert f'<strong id="max-lag">{round(response.context["max_lag_seconds"])} s</strong>' in page


def test_the_lag_goes_when_the_consumers_catch_up(client, tenant_a, waiting_events):
    # given
    client.force_login(tenant_a.team_lead)
    outbox.consume_all()

    # when
    body = client.get(HEALTH).json()

    # then
    outbox_rows = [b for b in body["backlogs"] if b["source"] == "outbox"]
    assert {b["consumer"] for b in outbox_rows} >= {"audit", "webhooks"}
    assert all(b["waiting"] == 0 and b["oldest_waiting_at"] is None for b in outbox_rows)
    assert body["max_lag_seconds"] == 0.0


def test_the_health_api_gives_readiness_and_lag_in_its_schema(client, tenant_a, waiting_events):
    # given
    client.force_login(tenant_a.team_lead)

    # when
    response = client.get(HEALTH)

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "checks", "max_lag_seconds", "backlogs"}
    assert body["checks"]["database"] == "ok"
    assert body["status"] == "not ready"  # no worker has beaten in a test
    audit = _row(body["backlogs"], "outbox", "audit")
    assert set(audit) == {
        "source",
        "consumer",
        "waiting",
        "oldest_waiting_at",
        "oldest_waiting_seconds",
    }
    assert audit["waiting"] == 2
    assert body["max_lag_seconds"] >= audit["oldest_waiting_seconds"] >= 90
    assert _row(body["backlogs"], "webhooks", "sending")["waiting"] == 0


def test_the_health_api_is_documented(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"][HEALTH]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/HealthOut")
    assert "BacklogOut" in document["components"]["schemas"]


@pytest.mark.parametrize("who", ["client_user", "client_admin"])
def test_client_users_get_no_operations_page_and_no_health(client, tenant_a, waiting_events, who):
    # given
    client.force_login(getattr(tenant_a, who))

    # when
    page = client.get("/ops/health/")
    api = client.get(HEALTH)

    # then: not their pages, as on every operations page
    assert page.status_code == 404
    assert b"Background consumers" not in page.content
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_signed_out_visitors_are_sent_to_sign_in_and_refused_by_the_api(client, db):
    assert client.get("/ops/health/")["Location"].startswith("/login/")
    assert client.get(HEALTH).status_code == 401


def test_a_token_without_the_work_read_scope_is_refused(client, tenant_a, waiting_events):
    # given: a team lead's token for client A that may only write tokens
    with client_scope(clients=[tenant_a.client]):
        _, plain = create_api_token(
            actor=tenant_a.team_lead, client=tenant_a.client, name="t", scopes=["tokens:write"]
        )

    # when
    response = client.get(HEALTH, HTTP_AUTHORIZATION=f"Bearer {plain}")

    # then
    assert response.status_code == 403
    assert "work:read" in response.json()["error"]["message"]


def test_backlogs_come_longest_waiting_first(probes):
    # given
    now = timezone.now()

    def probe(at):
        return [
            Backlog("test", "short", 1, at - timedelta(seconds=5), 5.0),
            Backlog("test", "long", 7, at - timedelta(seconds=500), 500.0),
            Backlog("test", "idle", 0, None, 0.0),
        ]

    selectors._PROBES.clear()
    register_backlog("test", probe)

    # when
    found = backlogs(now=now)

    # then
    assert [b.consumer for b in found] == ["long", "short", "idle"]
    assert found[0].oldest_waiting_at == now - timedelta(seconds=500)
