"""The work API as the people in the product use it: agents, team leads, clients."""

import io
from datetime import timedelta

from django.utils import timezone

from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.tests.conftest import (
    FORM,
    TICKET,
    add_item,
    live_engagement,
    make_agent,
    make_queue,
)
from tercero.platform.tenancy.scoping import client_scope

JSON = "application/json"


def post(client, url, body=None, **headers):
    return client.post(url, data=body or {}, content_type=JSON, **headers)


def test_an_agent_goes_available_pulls_works_and_resolves(client, tenant_a):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement)
    agent = make_agent(engagement, available=False)
    item = add_item(queue)
    client.force_login(agent.user)
    assert post(client, "/api/v1/agents/me/next").status_code == 409  # offline
    assert post(client, "/api/v1/agents/me/presence", {"presence": "available"}).status_code == 200
    pulled = post(client, "/api/v1/agents/me/next")
    assert pulled.status_code == 200
    assert pulled.json()["id"] == item.pk
    assert pulled.json()["allowed_actions"] == ["start", "cancel", "unassign", "transfer"]
    assert pulled.json()["display"] == [{"label": "Subject", "value": "Where is my order?"}]
    url = f"/api/v1/work-items/{item.pk}/transitions"
    assert post(client, url, {"action": "start"}).json()["status"] == "in_progress"
    done = post(client, url, {"action": "resolve", "resolution": "Refunded"})
    assert done.json()["status"] == "resolved"
    assert post(client, "/api/v1/agents/me/next").status_code == 204
    history = client.get(f"/api/v1/agents/{agent.pk}/presence").json()["results"]
    assert [h["presence"] for h in history] == ["available"]


def test_creating_with_an_idempotency_key_twice_makes_one_item(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    body = {"queue_id": queue.pk, "work_type": TICKET.key, "payload": {"subject": "Broken"}}
    first = post(client, "/api/v1/work-items", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/work-items", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.count() == 1


def test_bad_items_are_refused_with_the_fields_named(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    unknown = post(client, "/api/v1/work-items", {"queue_id": queue.pk, "work_type": "x.y"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_work_type"
    bad = post(
        client,
        "/api/v1/work-items",
        {"queue_id": queue.pk, "work_type": FORM.key, "payload": {"fields_total": "many"}},
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"payload.document", "payload.fields_total"}


def test_stale_and_illegal_edits_are_409(client, tenant_a):
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/work-items/{item.pk}"
    fresh = client.patch(url, {"version": item.version, "title": "A"}, content_type=JSON)
    assert fresh.status_code == 200
    stale = client.patch(url, {"version": item.version, "title": "B"}, content_type=JSON)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    illegal = post(client, f"{url}/transitions", {"action": "close"})
    assert illegal.status_code == 409
    assert illegal.json()["error"]["fields"]["allowed"] == ["assign", "cancel", "transfer"]
    assert client.get(url).json()["title"] == "A"


def test_bulk_is_all_or_nothing_unless_asked(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    rows = [
        {"work_type": TICKET.key, "payload": {"subject": "one"}},
        {"work_type": TICKET.key, "payload": {"subject": ""}},
        {"work_type": TICKET.key, "payload": {"subject": "three"}},
    ]
    refused = post(client, "/api/v1/work-items/bulk", {"queue_id": queue.pk, "items": rows})
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["1"]
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.count() == 0
    partial = post(
        client,
        "/api/v1/work-items/bulk",
        {"queue_id": queue.pk, "items": rows, "all_or_nothing": False},
    )
    assert partial.status_code == 201
    assert len(partial.json()["created"]) == 2


def _upload(client, queue, text, **fields):
    upload = io.BytesIO(text.encode() if isinstance(text, str) else text)
    upload.name = "items.csv"
    return client.post(
        "/api/v1/work-items/import", {"file": upload, "queue_id": queue.pk, **fields}
    )


GOOD = "work_type,priority,payload.subject,external_ref\ntest.ticket,P1,Late parcel,R-1\n"


def test_csv_import_reports_bad_rows_by_line_and_imports_nothing(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    text = GOOD + "test.ticket,P9,Lost,R-2\ntest.ticket,2,,R-3\ntest.ticket,3,Fine,R-1\n"
    report = _upload(client, queue, text)
    assert report.status_code == 422
    errors = report.json()["errors"]
    assert set(errors) == {"3", "4", "5"}
    assert errors["3"]["priority"] == "1-4 or P1-P4"
    assert "payload.subject" in errors["4"]
    assert "external_ref" in errors["5"]
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.count() == 0


def test_csv_dry_run_then_import(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    dry = _upload(client, queue, GOOD, dry_run="true")
    assert dry.status_code == 200
    assert dry.json()["errors"] == {}
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.count() == 0
    done = _upload(client, queue, GOOD)
    assert done.status_code == 201
    assert len(done.json()["created"]) == 1
    with client_scope(clients=[tenant_a.client]):
        item = WorkItem.objects.get()
    assert (item.priority, item.external_ref, item.title) == (1, "R-1", "Late parcel")


def test_csv_files_that_are_not_csv_are_refused(client, tenant_a):
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    assert _upload(client, queue, b"\xff\xfe\x00bad").json()["error"]["code"] == "not_utf8"
    wrong = _upload(client, queue, "colour,size\nred,9\n")
    assert wrong.json()["error"]["code"] == "unknown_columns"
    assert _upload(client, queue, "work_type\n").json()["error"]["code"] == "no_rows"


def test_lists_filter_and_export(client, tenant_a):
    engagement = live_engagement(
        tenant_a.client, sla_targets=[{"metric": "first_response", "target_seconds": 3600}]
    )
    queue = make_queue(engagement)
    late = add_item(queue, title="=HYPERLINK(1)")
    add_item(queue)
    with client_scope(clients=[tenant_a.client]):
        past = timezone.now() - timedelta(minutes=5)
        WorkItem.objects.filter(pk=late.pk).update(due_at=past, at_risk_at=past)
    client.force_login(tenant_a.client_user)
    breached = client.get("/api/v1/work-items", {"sla_state": "breached"}).json()["results"]
    assert [i["id"] for i in breached] == [late.pk]
    assert breached[0]["sla"]["state"] == "breached"
    assert len(client.get("/api/v1/work-items", {"status": "queued"}).json()["results"]) == 2
    export = client.get("/api/v1/work-items.csv", {"sla_state": "breached"})
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("id,external_ref,work_type,title,status")
    assert len(lines) == 2
    assert "'=HYPERLINK(1)" in lines[1], "formulas are neutralised"
    stats = client.get(f"/api/v1/queues/{queue.pk}/stats").json()
    assert (stats["open"], stats["breached_open"]) == (2, 1)


def test_who_may_assign_and_work_items(client, tenant_a):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, routing="manual")
    agent = make_agent(engagement)
    other = make_agent(engagement)
    item = add_item(queue)
    url = f"/api/v1/work-items/{item.pk}"
    client.force_login(tenant_a.client_user)
    assert post(client, f"{url}/assign", {"agent_id": agent.pk}).status_code == 403
    client.force_login(tenant_a.team_lead)
    assert post(client, f"{url}/assign", {"agent_id": agent.pk}).status_code == 200
    client.force_login(other.user)
    assert post(client, f"{url}/transitions", {"action": "start"}).status_code == 403
    client.force_login(agent.user)
    assert post(client, f"{url}/transitions", {"action": "start"}).status_code == 200


def test_closing_and_cancelling_are_a_leads_through_the_api_as_on_the_pages(client, tenant_a):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, routing="manual")
    holder = make_agent(engagement)
    other = make_agent(engagement)
    held, spare = add_item(queue), add_item(queue)
    client.force_login(tenant_a.team_lead)
    assert (
        post(client, f"/api/v1/work-items/{held.pk}/assign", {"agent_id": holder.pk}).status_code
        == 200
    )
    url = f"/api/v1/work-items/{held.pk}/transitions"
    client.force_login(other.user)  # someone else's item: not even opened without a reason
    assert post(client, url, {"action": "cancel"}).status_code == 403
    client.force_login(holder.user)  # one's own: working it yes, cancelling it no
    refused = post(client, url, {"action": "cancel"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only a team lead may do that."
    client.force_login(tenant_a.team_lead)
    cancelled = post(client, f"/api/v1/work-items/{held.pk}/transitions", {"action": "cancel"})
    assert cancelled.json()["status"] == "cancelled"
    client.force_login(tenant_a.client_user)  # the client's own systems cancel their items
    cancelled = post(client, f"/api/v1/work-items/{spare.pk}/transitions", {"action": "cancel"})
    assert cancelled.json()["status"] == "cancelled"


def test_manual_assignment_refusal_lists_reasons(client, tenant_a):
    engagement = live_engagement(tenant_a.client, residency_allowed_shores=["onshore"])
    queue = make_queue(engagement, routing="manual")
    agent = make_agent(engagement, languages=["en"])
    item = add_item(queue, personal_data=True, language="fr")
    client.force_login(tenant_a.team_lead)
    refused = post(client, f"/api/v1/work-items/{item.pk}/assign", {"agent_id": agent.pk})
    assert refused.status_code == 422
    reasons = refused.json()["error"]["fields"]["reasons"]
    assert len(reasons) == 2
    assert "language “fr”" in reasons[0]
    assert "residency" in reasons[1]


def test_comments_internal_notes_and_the_first_response(client, tenant_a):
    engagement = live_engagement(
        tenant_a.client,
        sla_targets=[
            {"metric": "first_response", "target_seconds": 3600},
            {"metric": "resolution", "target_seconds": 86400},
        ],
    )
    agent = make_agent(engagement)
    item = add_item(make_queue(engagement))
    url = f"/api/v1/work-items/{item.pk}/comments"
    client.force_login(agent.user)
    assert post(client, "/api/v1/agents/me/next").json()["id"] == item.pk
    assert post(client, url, {"body": "Checked the carrier", "internal": True}).status_code == 201
    assert client.get(f"/api/v1/work-items/{item.pk}").json()["first_response_at"] is None
    assert (
        post(client, url, {"body": "Your parcel ships today", "internal": False}).status_code == 201
    )
    answered = client.get(f"/api/v1/work-items/{item.pk}").json()
    assert answered["first_response_at"] is not None
    assert answered["sla"]["metric"] == "resolution"
    client.force_login(tenant_a.client_user)
    seen = [c["body"] for c in client.get(url).json()["results"]]
    assert seen == ["Your parcel ships today"], "clients never see internal notes"
    assert post(client, url, {"body": "Thanks!", "internal": True}).json()["internal"] is False


def test_a_queue_cannot_escalate_into_another_clients_queue(
    client, provider_admin, tenant_a, tenant_b
):
    # given staff granted both clients, a queue of A and one of B
    own = make_queue(live_engagement(tenant_a.client))
    foreign = make_queue(live_engagement(tenant_b.client))
    client.force_login(provider_admin)

    # when A's queue is pointed at B's queue (with the alert rule and with the move rule)
    alert = client.patch(
        f"/api/v1/queues/{own.pk}",
        data={"version": own.version, "escalation_queue_id": foreign.pk},
        content_type=JSON,
    )
    move = client.patch(
        f"/api/v1/queues/{own.pk}",
        data={"version": own.version, "escalation": "move", "escalation_queue_id": foreign.pk},
        content_type=JSON,
    )

    # then both are refused and the queue is unchanged
    assert alert.status_code == move.status_code == 422
    assert alert.json()["error"]["fields"] == {
        "escalation_queue_id": "another queue of the same engagement"
    }
    with client_scope(clients=[own.client_id]):
        assert Queue.objects.get(pk=own.pk).escalation_queue_id is None


def test_an_id_wider_than_any_stored_id_is_a_404_not_a_crash(client, tenant_a):
    # PostgreSQL refuses to compare a number past 64 bits with an id column; the reads
    # written by hand answer "no such queue" as Django's own lookups do
    client.force_login(tenant_a.client_user)
    huge = 2**64 + 7
    assert client.get(f"/api/v1/queues/{huge}").status_code == 404
    body = {"queue_id": huge, "work_type": TICKET.key, "payload": {"subject": "Broken"}}
    refused = post(client, "/api/v1/work-items", body)
    assert refused.status_code == 422
    assert "queue_id" in str(refused.json()["error"]["fields"])
