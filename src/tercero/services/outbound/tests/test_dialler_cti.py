"""Call events back from the phone system: signed like our requests, replays and stale
requests refused, the call moved only forward; the loopback simulator posts them."""

import json
import time

import pytest
from django.test import override_settings

from tercero.delivery.work.models import WorkItem
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import cti_out, dialler
from tercero.services.outbound.models import CallAttempt, Lead
from tercero.services.outbound.pbx_sim import Loopback, SimCall, call_events
from tercero.services.outbound.tests.dialling import active, afternoon
from tercero.services.outbound.tests.world import build

LINES = json.dumps({"default": {"url": "", "secret": "line-secret"}})
URL = "/api/v1/outbound/cti/default/events"


@pytest.fixture
def placed(tenant_a):
    world = active(build(tenant_a), [{"phone": "+12125550123", "postal_code": "10001"}])
    with client_scope(clients=[tenant_a.client]):
        attempt = dialler.dial_next(
            actor=None, campaign=world.campaign, agent_id=None, now=afternoon()
        ).attempt
    return world, attempt


def _loopback(client, secret="line-secret"):
    def post(url, body, headers):
        return client.post(
            url,
            body,
            content_type="application/json",
            headers={"Tercero-Signature": headers["Tercero-Signature"]},
        ).status_code

    return Loopback(URL, secret, post)


@override_settings(OUTBOUND_CTI_LINES=LINES)
def test_a_busy_call_posted_by_the_simulator_recycles_the_lead_and_closes_its_item(client, placed):
    # given
    world, attempt = placed
    call = SimCall(attempt.call_ref, "+12125550123", "busy", 3.0, 0.0)

    # when
    statuses = _loopback(client).deliver(call_events(call, started_at=afternoon()))

    # then
    assert statuses == [200, 200]
    with client_scope(clients=[world.tenant.client]):
        attempt.refresh_from_db()
        assert (attempt.outcome, attempt.disposition) == ("busy", "busy")
        assert attempt.lead.status in (Lead.Status.CALLABLE, Lead.Status.DONE)
        assert WorkItem.objects.get(pk=attempt.item_id).status == "resolved"


@override_settings(OUTBOUND_CTI_LINES=LINES)
def test_an_answered_call_waits_for_the_agent_and_a_late_answer_reopens_nothing(client, placed):
    world, attempt = placed
    call = SimCall(attempt.call_ref, "+12125550123", "answered", 9.0, 95.0)
    ringing, answered, ended = call_events(call, started_at=afternoon())
    loop = _loopback(client)

    assert loop.deliver([ringing, ended, answered]) == [200, 200, 200]

    with client_scope(clients=[world.tenant.client]):
        attempt.refresh_from_db()
        assert attempt.outcome == "answered"
        assert attempt.talk_seconds == 95
        assert attempt.answered_at is not None
        assert attempt.disposition == ""
        assert attempt.lead.status == Lead.Status.IN_CALL


@override_settings(OUTBOUND_CTI_LINES=LINES)
def test_unsigned_badly_signed_stale_and_replayed_events_are_refused(client, placed):
    world, attempt = placed
    event = {"event_id": "e1", "call_id": attempt.call_ref, "kind": "ringing"}
    body = json.dumps(event).encode()

    def send(signature):
        return client.post(
            URL,
            body,
            content_type="application/json",
            headers={"Tercero-Signature": signature} if signature else {},
        )

    assert send("").status_code == 401
    assert send(cti_out.sign("wrong", body)).status_code == 401
    stale = cti_out.sign("line-secret", body, timestamp=int(time.time()) - 600)
    assert send(stale).status_code == 401
    assert send(cti_out.sign("line-secret", body)).status_code == 200
    replay = send(cti_out.sign("line-secret", body))
    assert replay.status_code == 409
    unknown = json.dumps({"event_id": "e2", "call_id": "att-999999", "kind": "ended"}).encode()
    response = client.post(
        URL,
        unknown,
        content_type="application/json",
        headers={"Tercero-Signature": cti_out.sign("line-secret", unknown)},
    )
    assert response.status_code == 404
    bad = json.dumps({"event_id": "e3", "call_id": attempt.call_ref, "kind": "exploded"})
    response = client.post(
        URL,
        bad.encode(),
        content_type="application/json",
        headers={"Tercero-Signature": cti_out.sign("line-secret", bad.encode())},
    )
    assert response.status_code == 422
    with client_scope(clients=[world.tenant.client]):
        assert CallAttempt.objects.get(pk=attempt.pk).outcome == ""
