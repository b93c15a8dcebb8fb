"""The work pages as a user would notice them: lists filter, sort, page and export;
bulk actions report what changed; escalation needs a reason; portal submissions
refuse bad files and bad fields without storing anything; revealing personal data is
audited; attachments are only ever downloads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tercero.delivery.work.models import Attachment, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

PDF = b"%PDF-1.4 scanned order form"


@pytest.fixture
def keying(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Keying")
    queue = make_queue(engagement, name="Forms", work_types=["capture.document"])
    return engagement, queue


def _doc(queue, ref, **payload):
    return add_item(
        queue,
        work_type="capture.document",
        payload={"document_ref": ref, "fields_total": 3, **payload},
        external_ref=ref,
    )


def test_the_item_list_searches_filters_sorts_and_pages(client, tenant_a, keying):
    _, queue = keying
    for n in range(60):
        _doc(queue, f"PO-{n:03d}")
    client.force_login(tenant_a.team_lead)
    page = client.get("/work/items/?q=PO-00").content.decode()
    assert page.count("Form PO-00") == 10
    assert "10 in all" in page
    page = client.get("/work/items/?sort=title&per_page=25").content.decode()
    assert "60 in all · page 1 of 3" in page
    assert page.index("PO-000") < page.index("PO-001")
    assert 'aria-sort="ascending"' in page
    page = client.get("/work/items/?sort=-title&page=3&per_page=25").content.decode()
    assert "PO-000" in page
    assert "PO-059" not in page
    assert "0 in all" in client.get("/work/items/?status=resolved").content.decode()


def test_the_item_list_exports_what_is_filtered_as_csv(client, tenant_a, keying):
    _, queue = keying
    _doc(queue, "PO-1")
    with client_scope(clients=[tenant_a.client]):
        add_item(
            queue,
            work_type="capture.document",
            title='=HYPERLINK("http://evil.example")',
            payload={"document_ref": "PO-2", "fields_total": 3},
        )
    client.force_login(tenant_a.team_lead)
    response = client.get("/work/items/?format=csv&sort=id")
    assert response["Content-Disposition"] == 'attachment; filename="work-items.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["#", "Title", "Status"]
    assert len(rows) == 3
    assert rows[2][1].startswith("'")  # a formula is never live in a spreadsheet
    only = client.get("/work/items/?format=csv&q=PO-1").content.decode()
    assert len(only.strip().splitlines()) == 2


def test_the_item_list_offers_export_only_to_whoever_may_export(client, tenant_a, keying):
    # issue 20: agents were shown Export CSV and got 403 for following it
    _, queue = keying
    _doc(queue, "PO-1")
    client.force_login(tenant_a.agent)
    page = client.get("/work/items/").content.decode()
    assert "Export CSV" not in page
    assert client.get("/work/items/?format=csv").status_code == 403
    client.force_login(tenant_a.team_lead)
    assert "Export CSV" in client.get("/work/items/").content.decode()


def test_bulk_assign_reports_what_changed(client, tenant_a, keying):
    engagement, queue = keying
    agent = make_agent(engagement, skills={"data_entry": 2})
    items = [_doc(queue, f"PO-{n}") for n in range(3)]
    client.force_login(tenant_a.team_lead)
    response = client.post(
        "/work/items/bulk/",
        {"item": [i.pk for i in items], "bulk_action": "assign", "agent": agent.pk},
        follow=True,
    )
    assert "3 of 3 items updated." in response.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert set(WorkItem.objects.values_list("assignee_id", flat=True)) == {agent.pk}


def test_an_agent_cannot_use_bulk_actions(client, tenant_a, keying):
    _, queue = keying
    item = _doc(queue, "PO-1")
    client.force_login(tenant_a.agent)
    response = client.post("/work/items/bulk/", {"item": [item.pk], "bulk_action": "cancel"})
    assert response.status_code == 403


def test_escalation_needs_a_reason_and_raises_priority(client, tenant_a, keying):
    _, queue = keying
    item = _doc(queue, "PO-1")
    client.force_login(tenant_a.team_lead)
    page = client.post(f"/work/items/{item.pk}/escalate/", {"reason": ""}, follow=True)
    assert "Say why the item is escalated." in page.content.decode()
    client.post(f"/work/items/{item.pk}/escalate/", {"reason": "Customer complained twice"})
    with client_scope(clients=[tenant_a.client]):
        item.refresh_from_db()
        assert item.priority == 2
        assert item.events.filter(kind="item.escalated").get().data["reason"] == (
            "Customer complained twice"
        )


def test_a_stale_form_is_refused_with_the_reason(client, tenant_a, keying):
    _, queue = keying
    item = _doc(queue, "PO-1")
    client.force_login(tenant_a.team_lead)
    page = client.post(
        f"/work/items/{item.pk}/act/", {"action": "cancel", "version": 99}, follow=True
    ).content.decode()
    assert "changed" in page
    with client_scope(clients=[tenant_a.client]):
        item.refresh_from_db()
    assert item.status == "queued"


def test_revealing_personal_data_needs_a_reason_and_is_audited(client, tenant_a, keying):
    _, queue = keying
    item = _doc(queue, "PO-1", customer_name="Maria Santos")
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    assert "Maria Santos" not in page
    assert "M••• S•••</span>" in page
    refused = client.post(f"/work/items/{item.pk}/reveal/", {"reason": ""})
    assert refused.status_code == 422
    assert "Maria Santos" not in refused.content.decode()
    revealed = AuditEvent.objects.filter(action="work_item.revealed")
    with all_clients_scope():
        before = revealed.count()
    shown = client.post(f"/work/items/{item.pk}/reveal/", {"reason": "customer on the phone"})
    assert "Maria Santos" in shown.content.decode()
    with all_clients_scope():
        event = revealed.last()
        assert revealed.count() == before + 1
    assert event is not None
    assert event.reason == "customer on the phone"


def test_a_client_submits_through_the_generated_form(client, tenant_a, keying):
    _, queue = keying
    client.force_login(tenant_a.client_user)
    form = client.get(f"/portal/submit/{queue.pk}/").content.decode()
    for label in ("Document ref", "Fields total", "Due date", "File", "Your reference"):
        assert label in form
    response = client.post(
        f"/portal/submit/{queue.pk}/",
        {
            "work_type": "capture.document",
            "document_ref": "PO-9",
            "fields_total": "4",
            "document_kind": "form",
            "pages": "1",
            "fields_keyed": "0",
            "fields_rejected": "0",
            "file": SimpleUploadedFile("order.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        item = WorkItem.objects.get(payload__document_ref="PO-9")
        attachment = Attachment.objects.get(item=item)
    assert item.created_by_id == tenant_a.client_user.pk
    download = client.get(f"/work/attachments/{attachment.pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("upload", "fields", "message"),
    [
        (SimpleUploadedFile("x.html", b"<script>alert(1)</script>", "text/html"), {}, "Only PDF"),
        (SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>", "image/svg+xml"), {}, "Only PDF"),
        (SimpleUploadedFile("x.pdf", PDF, "application/pdf"), {"fields_total": "0"}, "greater"),
        (None, {"document_ref": ""}, "required"),
    ],
)
def test_bad_submissions_store_nothing(client, tenant_a, keying, upload, fields, message):
    _, queue = keying
    client.force_login(tenant_a.client_user)
    data = {
        "work_type": "capture.document",
        "document_ref": "PO-9",
        "fields_total": "4",
        "document_kind": "form",
        "pages": "1",
        "fields_keyed": "0",
        "fields_rejected": "0",
        **fields,
    }
    if upload is not None:
        data["file"] = upload
    response = client.post(f"/portal/submit/{queue.pk}/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    with all_clients_scope():
        assert WorkItem.objects.count() == 0
        assert Attachment.objects.count() == 0


def test_a_client_never_sees_internal_notes(client, tenant_a, keying):
    _, queue = keying
    item = _doc(queue, "PO-1")
    client.force_login(tenant_a.team_lead)
    client.post(f"/work/items/{item.pk}/comments/", {"body": "Scan is blurry, internal"})
    client.post(
        f"/work/items/{item.pk}/comments/", {"body": "We are on it", "visibility": "client"}
    )
    client.force_login(tenant_a.client_user)
    page = client.get(f"/portal/items/{item.pk}/").content.decode()
    assert "We are on it" in page
    assert "Scan is blurry" not in page
    # and staff pages are not theirs at all
    assert client.get(f"/work/items/{item.pk}/").status_code == 404


def test_a_client_admin_adds_and_deactivates_people_of_their_company(client, tenant_a):
    client.force_login(tenant_a.client_admin)
    response = client.post(
        "/portal/users/",
        {
            "full_name": "New Person",
            "email": "new@acme-co.example",
            "role": "client_user",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    from tercero.platform.identity.models import User

    with all_clients_scope():
        person = User.objects.get(email="new@acme-co.example")
    assert person.client == tenant_a.client
    client.post(f"/portal/users/{person.pk}/active/", {"active": "no"})
    with all_clients_scope():
        person.refresh_from_db()
    assert not person.is_active
    weak = client.post(
        "/portal/users/",
        {"full_name": "W", "email": "w@acme-co.example", "role": "client_user", "password": "x"},
    )
    assert weak.status_code == 422
    with all_clients_scope():
        assert not User.objects.filter(email="w@acme-co.example").exists()
    client.force_login(tenant_a.client_user)
    assert client.get("/portal/users/").status_code == 403
