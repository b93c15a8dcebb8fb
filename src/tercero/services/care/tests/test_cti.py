"""The telephony webhook as a phone system meets it: signed events build one call item,
out-of-order events do not move a call backwards, unsigned and replayed events are
refused."""

import json
import time

import pytest

from tercero.delivery.work import outbox, selectors, webhooks
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import cti
from tercero.services.care.models import CallEvent, CtiEndpoint

SECRET = "pbx-shared-secret-for-tests"


@pytest.fixture
def endpoint(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Phones")
    queue = make_queue(engagement, name="Calls", work_types=["care.call"])
    with client_scope(clients=[tenant_a.client]):
        endpoint, secret = cti.create_endpoint(actor=None, engagement=engagement, queue=queue)
        assert secret not in endpoint.secret  # shown once, stored sealed
        CtiEndpoint.objects.filter(pk=endpoint.pk).update(
            secret=crypto.seal_secret(SECRET, context=cti.SECRET_CONTEXT)
        )
    return endpoint


def _post(client, endpoint, event, *, secret=SECRET, signed=True, at=None):
    body = json.dumps(event).encode()
    headers = {}
    if signed:
        headers["HTTP_TERCERO_SIGNATURE"] = webhooks.sign(secret, int(at or time.time()), body)
    return client.post(
        f"/api/v1/care/cti/{endpoint.pk}/events", body, content_type="application/json", **headers
    )


def _call(tenant):
    with client_scope(clients=[tenant.client]):
        return WorkItem.objects.get(work_type="care.call")


def test_a_signed_call_becomes_one_item_with_its_events(client, tenant_a, endpoint):
    # protects: any PBX can feed calls in; one item per call
    events = [
        {
            "event_id": "e1",
            "call_id": "c-42",
            "kind": "ringing",
            "from": "+44 20 7946 0958",
            "at": "2026-11-25T09:00:00Z",
        },
        {"event_id": "e2", "call_id": "c-42", "kind": "answered", "at": "2026-11-25T09:00:07Z"},
        {
            "event_id": "e3",
            "call_id": "c-42",
            "kind": "ended",
            "duration_seconds": 95,
            "at": "2026-11-25T09:01:42Z",
            "recording_url": "https://rec.example/c-42.wav",
        },
    ]
    for event in events:
        assert _post(client, endpoint, event).status_code == 200
    call = _call(tenant_a)
    assert call.payload["state"] == "ended"
    assert call.payload["duration_seconds"] == 95
    assert call.payload["recording_url"] == "https://rec.example/c-42.wav"
    assert crypto.is_sealed(call.payload["caller_number"])  # the caller's number, sealed
    assert "7946" not in crypto.masked(call.payload["caller_number"])
    with client_scope(clients=[tenant_a.client]):
        assert CallEvent.objects.count() == 3


def test_each_call_event_changes_the_item_through_the_engine_with_an_audited_event(
    client, tenant_a, endpoint
):
    # protects: a service rewriting an item's payload with no event and no audit trail
    # given
    ringing = {"event_id": "a1", "call_id": "c-5", "kind": "ringing", "from": "+44 20 7946 0958"}
    answered = {"event_id": "a2", "call_id": "c-5", "kind": "answered"}
    # when
    assert _post(client, endpoint, ringing).status_code == 200
    assert _post(client, endpoint, answered).status_code == 200
    # then
    call = _call(tenant_a)
    assert call.version == 3
    with client_scope(clients=[tenant_a.client]):
        events = [(e.kind, e.data) for e in selectors.events_of(item=call)]
    assert events == [
        ("item.created", {"work_type": "care.call"}),
        ("item.queued", {"queue_id": call.queue_id}),
        ("item.payload_changed", {"fields": ["started_at"], "reason": "call event ringing"}),
        (
            "item.payload_changed",
            {"fields": ["answered_at", "state"], "reason": "call event answered"},
        ),
    ]
    outbox.consume("audit")
    with client_scope(clients=[tenant_a.client]):
        audited = AuditEvent.objects.filter(
            action="work.item.payload_changed", object_id=call.pk
        ).order_by("sequence")
        assert [a.payload["fields"] for a in audited] == [
            ["started_at"],
            ["answered_at", "state"],
        ]


def test_ended_before_answered_keeps_the_call_ended(client, tenant_a, endpoint):
    # protects: event order races between the PBX's senders
    _post(
        client,
        endpoint,
        {"event_id": "x1", "call_id": "c-7", "kind": "ended", "duration_seconds": 30},
    )
    _post(client, endpoint, {"event_id": "x2", "call_id": "c-7", "kind": "answered"})
    call = _call(tenant_a)
    assert call.payload["state"] == "ended"
    assert call.payload["answered_at"]
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.filter(work_type="care.call").count() == 1


def test_unsigned_badly_signed_and_stale_events_are_refused(client, tenant_a, endpoint):
    # protects: forged call records (anyone can reach a webhook URL)
    event = {"event_id": "f1", "call_id": "c-1", "kind": "ringing"}
    assert _post(client, endpoint, event, signed=False).status_code == 401
    assert _post(client, endpoint, event, secret="not the secret").status_code == 401
    assert _post(client, endpoint, event, at=time.time() - 600).status_code == 401
    with client_scope(clients=[tenant_a.client]):
        assert not WorkItem.objects.filter(work_type="care.call").exists()


def test_a_replayed_event_is_refused(client, tenant_a, endpoint):
    # protects: a captured request sent again does not change the call
    event = {"event_id": "r1", "call_id": "c-9", "kind": "ringing"}
    assert _post(client, endpoint, event).status_code == 200
    again = _post(client, endpoint, event)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "replayed"


def test_an_unknown_endpoint_looks_like_a_bad_signature(client, endpoint):
    # protects: endpoint ids cannot be probed
    event = json.dumps({"event_id": "u1", "call_id": "c", "kind": "ringing"}).encode()
    header = webhooks.sign(SECRET, int(time.time()), event)
    response = client.post(
        "/api/v1/care/cti/999999/events",
        event,
        content_type="application/json",
        HTTP_TERCERO_SIGNATURE=header,
    )
    assert response.status_code == 401


def test_an_endpoint_without_a_secret_refuses_everything(client, tenant_a, endpoint):
    # protects: an endpoint set up without a secret is closed, not open
    with client_scope(clients=[tenant_a.client]):
        CtiEndpoint.objects.filter(pk=endpoint.pk).update(secret="")
    event = {"event_id": "n1", "call_id": "c", "kind": "ringing"}
    assert _post(client, endpoint, event).status_code == 401


def _post_raw(client, endpoint, body: bytes):
    header = webhooks.sign(SECRET, int(time.time()), body)
    return client.post(
        f"/api/v1/care/cti/{endpoint.pk}/events",
        body,
        content_type="application/json",
        HTTP_TERCERO_SIGNATURE=header,
    )


@pytest.mark.parametrize(
    "duration",
    [b'"abc"', b"1e400", b"[95]", b"NaN", b"true", b'{"s": 95}'],
    ids=["text", "1e400", "list", "nan", "boolean", "object"],
)
def test_a_signed_call_with_a_duration_that_is_no_number_is_a_json_422_not_a_500(
    client, tenant_a, endpoint, duration
):
    # protects: a phone system's odd body answered with an HTML 500 (issue 19, 12)
    body = b'{"event_id": "d1", "call_id": "c-d", "kind": "ended", "duration_seconds": '
    response = _post_raw(client, endpoint, body + duration + b"}")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["fields"] == {"duration_seconds": "not a number"}
    with client_scope(clients=[tenant_a.client]):
        assert not WorkItem.objects.filter(work_type="care.call").exists()
        assert not CallEvent.objects.exists()


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"], ids=["past-9999", "before-1"]
)
def test_a_signed_call_whose_time_leaves_the_calendar_by_its_offset_is_a_json_422(
    client, tenant_a, endpoint, at
):
    # protects: a date that overflows once put in UTC answered with an HTML 500
    event = {"event_id": "t1", "call_id": "c-t", "kind": "ringing", "at": at}
    response = _post(client, endpoint, event)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"at": "not a time"}
    with client_scope(clients=[tenant_a.client]):
        assert not CallEvent.objects.exists()


def test_a_signed_call_longer_than_the_schema_allows_or_nested_deep_is_refused(
    client, tenant_a, endpoint
):
    # protects: a duration above the call's maximum stored, and deep JSON crashing the door
    too_long = {"event_id": "l1", "call_id": "c-l", "kind": "ended", "duration_seconds": 10**15}
    response = _post(client, endpoint, too_long)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"duration_seconds": "above 604800"}
    deep = b'{"event_id": "n1", "call_id": "c-n", "kind": "ringing", "x": '
    response = _post_raw(client, endpoint, deep + b"[" * 5000 + b"]" * 5000 + b"}")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    # a week is the longest call; whole seconds from a float or a string of digits
    for event_id, duration, stored in (("w1", 604800, 604800), ("w2", "95", 95), ("w3", 95.7, 95)):
        call = f"c-{event_id}"
        event = {"event_id": event_id, "call_id": call, "kind": "ended"}
        assert _post(client, endpoint, {**event, "duration_seconds": duration}).status_code == 200
        with client_scope(clients=[tenant_a.client]):
            item = WorkItem.objects.get(external_ref=f"call:{call}")
        assert item.payload["duration_seconds"] == stored
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.filter(work_type="care.call").count() == 3
