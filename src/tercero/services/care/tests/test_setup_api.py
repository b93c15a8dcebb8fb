"""The desk's set-up in the API: web channels, custom fields, checklists, tiers and SLA
policies of the caller's clients only (another client's ids answer 404), refusals in
words, every change audited, and lists paged by cursor."""

import json

import pytest

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.care.models import Checklist, CustomField, TierQueue, WebChannel

JSON = "application/json"


@pytest.fixture
def desk(tenant_a, tenant_b):
    engagement = live_engagement(tenant_a.client, name="Acme care", service_line="customer_care")
    other = live_engagement(tenant_b.client, name="Bergmann care", service_line="customer_care")
    return {
        "engagement": engagement,
        "queue": make_queue(engagement, name="Chat", work_types=["care.ticket"]),
        "support": make_queue(engagement, name="L2", work_types=["support.ticket"]),
        "other": other,
        "theirs": make_queue(other, name="Theirs", work_types=["care.ticket", "support.ticket"]),
    }


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type=JSON)


def _audited(prefix: str) -> list[str]:
    with all_clients_scope():
        found = AuditEvent.objects.filter(action__startswith=prefix).order_by("id")
        return list(found.values_list("action", flat=True))


def test_a_web_channel_is_set_up_changed_and_switched_off(client, desk, manager):
    client.force_login(manager)
    body = {
        "engagement_id": desk["engagement"].pk,
        "key": "acme-shop",
        "queue_id": desk["queue"].pk,
        "title": "Acme help",
        "allowed_origins": ["https://shop.acme.example", "ftp://nope"],
        "brand_name": "Acme",
        "brand_colour": "#AA3300",
        "new_chats_per_minute": 40,
    }
    refused = _post(client, "/api/v1/care/web-channels", body)
    assert (refused.status_code, refused.json()["error"]["fields"]) == (
        422,
        {"allowed_origins": "one origin a line, like https://shop.example (ftp://nope is not "
         "https://host)"},
    )  # fmt: skip
    made = _post(
        client, "/api/v1/care/web-channels", {**body, "allowed_origins": ["https://shop.acme.example/"]}
    )  # fmt: skip
    assert made.status_code == 201
    assert (made.json()["brand_colour"], made.json()["allowed_origins"]) == (
        "#aa3300",
        ["https://shop.acme.example"],
    )
    again = _post(client, "/api/v1/care/web-channels", {**body, "allowed_origins": []})
    assert (again.status_code, again.json()["error"]["fields"]) == (409, {"key": "taken"})
    off = client.patch(
        f"/api/v1/care/web-channels/{made.json()['id']}",
        json.dumps({"is_active": False}),
        content_type=JSON,
    )
    assert off.json()["is_active"] is False
    assert client.get("/care/w/acme-shop/").status_code == 404
    assert _audited("care.web_channel.") == ["care.web_channel.created", "care.web_channel.changed"]


def test_another_clients_engagement_queue_and_rows_answer_404(client, desk, manager, tenant_b):
    client.force_login(manager)
    theirs = _post(
        client,
        "/api/v1/care/custom-fields",
        {"engagement_id": desk["other"].pk, "key": "order", "label": "Order"},
    )
    wrong_queue = _post(
        client,
        "/api/v1/care/tiers",
        {"engagement_id": desk["engagement"].pk, "tier": "L2", "queue_id": desk["theirs"].pk},
    )
    checklist = _post(
        client,
        "/api/v1/care/checklists",
        {"client_id": tenant_b.client.pk, "product": "X", "title": "Y", "steps": ["Z"]},
    )
    policy = client.get(f"/api/v1/care/sla-policies/{desk['other'].pk}")
    assert [theirs.status_code, checklist.status_code, policy.status_code] == [404, 404, 404]
    assert wrong_queue.json()["error"]["fields"] == {"queue_id": "a queue of this engagement"}
    with all_clients_scope():
        assert (CustomField.objects.count(), TierQueue.objects.count()) == (0, 0)
        assert Checklist.objects.count() == 0


def test_custom_fields_checklists_and_tiers_round_trip(client, desk, manager, tenant_a):
    client.force_login(manager)
    engagement = desk["engagement"].pk
    bad = _post(
        client,
        "/api/v1/care/custom-fields",
        {"engagement_id": engagement, "key": "Reason!", "label": "Reason", "kind": "choice"},
    )
    assert bad.json()["error"]["fields"] == {
        "key": "1 to 40 lower-case letters, digits or _, starting with a letter",
        "choices": "1 to 50 options of at most 100 characters",
    }
    field = _post(
        client,
        "/api/v1/care/custom-fields",
        {
            "engagement_id": engagement,
            "key": "reason",
            "label": "Reason",
            "kind": "choice",
            "choices": ["Refund", "Delivery"],
            "is_required": True,
        },
    ).json()
    off = client.patch(
        f"/api/v1/care/custom-fields/{field['id']}",
        json.dumps({"is_active": False}),
        content_type=JSON,
    )
    assert (off.json()["choices"], off.json()["is_active"]) == (["Refund", "Delivery"], False)
    checklist = _post(
        client,
        "/api/v1/care/checklists",
        {"client_id": tenant_a.client.pk, "product": "Router", "title": "No light",
         "steps": ["Power-cycle", " Check the cable "]},
    )  # fmt: skip
    assert checklist.json()["steps"] == ["Power-cycle", "Check the cable"]
    tier = _post(
        client,
        "/api/v1/care/tiers",
        {"engagement_id": engagement, "tier": "L2", "queue_id": desk["support"].pk},
    )
    assert tier.status_code == 201
    removed = client.delete(f"/api/v1/care/tiers/{tier.json()['id']}")
    assert removed.status_code == 204
    assert _audited("care.") == [
        "care.custom_field.created",
        "care.custom_field.changed",
        "care.checklist.created",
        "care.tier.created",
        "care.tier.removed",
    ]


def test_an_sla_policy_is_written_with_units_and_read_in_words(client, desk, manager):
    client.force_login(manager)
    url = f"/api/v1/care/sla-policies/{desk['engagement'].pk}"
    version = client.get(url).json()["version"]
    targets = [
        {"metric": "first_response", "priority": "P1", "amount": 2, "unit": "hours"},
        {"metric": "resolution", "amount": 3, "unit": "business_days"},
        {"metric": "answer", "amount": 30, "unit": "seconds"},
    ]
    stale = client.put(
        url, json.dumps({"version": version + 5, "targets": targets}), content_type=JSON
    )
    assert stale.status_code == 409
    bad = client.put(
        url,
        json.dumps({"version": version, "targets": [{**targets[0], "unit": "percent"}]}),
        content_type=JSON,
    )
    assert bad.json()["error"]["fields"] == {"targets.0.unit": "seconds, minutes, hours or days"}
    saved = client.put(url, json.dumps({"version": version, "targets": targets}), content_type=JSON)
    assert [t["words"] for t in saved.json()["targets"]] == [
        "First response, P1: within 2 hours of business time",
        "Resolution, every priority: within 3 business days",
        "Answer a chat or call, every priority: within 30 seconds of business time",
    ]
    with all_clients_scope():
        desk["engagement"].refresh_from_db()
    assert desk["engagement"].sla_targets[0] == {
        "metric": "first_response",
        "priority": "P1",
        "target_seconds": 7200,
    }
    assert _audited("care.sla_policy.") == ["care.sla_policy.changed"]


def test_set_up_lists_page_by_cursor(client, desk, manager, tenant_a):
    client.force_login(manager)
    with all_clients_scope():
        for n in range(3):
            WebChannel.objects.create(
                client=tenant_a.client,
                engagement=desk["engagement"],
                queue=desk["queue"],
                key=f"acme-{n}",
            )
    first = client.get("/api/v1/care/web-channels?page_size=2").json()
    second = client.get(first["next"]).json()
    keys = [c["key"] for c in first["results"] + second["results"]]
    assert (keys, second["next"]) == (["acme-0", "acme-1", "acme-2"], None)
    assert client.get("/api/v1/care/macros?cursor=nonsense").status_code == 422


def test_agents_cannot_read_or_write_the_set_up(client, desk, tenant_a):
    client.force_login(tenant_a.agent)
    answers = [
        client.get(url).status_code
        for url in ("/api/v1/care/web-channels", "/api/v1/care/sla-policies", "/api/v1/care/tiers")
    ]
    made = _post(
        client,
        "/api/v1/care/checklists",
        {"client_id": tenant_a.client.pk, "product": "X", "title": "Y", "steps": ["Z"]},
    )
    assert (answers, made.status_code) == ([403, 403, 403], 403)
    assert _audited("care.") == []
