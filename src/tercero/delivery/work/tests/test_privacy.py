"""The privacy life cycle: data-subject export and erasure, retention purge, and
client off-boarding by crypto-shredding."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from tercero.delivery.work import privacy, services
from tercero.delivery.work.models import Attachment, Comment, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.security import crypto
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

MARIA = {"customer_name": "Maria Santos", "customer_national_id": "QQ123456C"}
JOHN = {"customer_name": "John Whitfield", "customer_national_id": "JT481526B"}


@pytest.fixture
def forms(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Keying")
    queue = make_queue(engagement, name="Forms", work_types=["capture.document"])

    def add(ref, person):
        return add_item(
            queue,
            work_type="capture.document",
            payload={"document_ref": ref, "fields_total": 1, **person},
        )

    return add


def test_a_subject_export_finds_every_item_of_that_person_only(tenant_a, forms):
    # protects: the data-subject access right (complete, and nobody else's data)
    first, second, other = forms("PO-1", MARIA), forms("PO-2", MARIA), forms("PO-3", JOHN)
    with client_scope(clients=[tenant_a.client]):
        services.comment(actor=tenant_a.team_lead, item=first, body="Called Maria back")
        document = privacy.export_subject(
            actor=tenant_a.client_admin, client_id=tenant_a.client.pk, value="qq 123456 c"
        )
    assert [i["id"] for i in document["items"]] == [first.pk, second.pk]
    assert document["items"][0]["payload"]["customer_national_id"] == "QQ123456C"
    assert document["items"][0]["comments"][0]["body"] == "Called Maria back"
    assert other.pk not in [i["id"] for i in document["items"]]
    with all_clients_scope():
        event = AuditEvent.objects.get(action="privacy.subject_exported")
    assert event.object_id.startswith("subject-")
    assert "QQ123456C" not in json.dumps(event.payload) + event.object_id


def test_erasure_removes_the_person_and_keeps_the_skeleton(tenant_a, forms):
    # protects: the right to erasure (the audit keeps a pseudonym, reports keep counts)
    item = forms("PO-1", MARIA)
    keep = forms("PO-2", JOHN)
    with client_scope(clients=[tenant_a.client]):
        services.comment(actor=tenant_a.team_lead, item=item, body="Maria's note")
        services.attach(
            actor=None,
            item=item,
            upload=SimpleUploadedFile("id.pdf", b"%PDF-1.4 id", "application/pdf"),
        )
        assert (
            privacy.erase_subject(actor=None, client_id=tenant_a.client.pk, value="Maria Santos")
            == 1
        )
        erased = WorkItem.objects.get(pk=item.pk)
        assert erased.payload["customer_name"] is None
        assert erased.payload["document_ref"] == "PO-1"
        assert erased.subject_keys == []
        assert Comment.objects.get(item=item).body == "[removed]"
        assert not Attachment.objects.filter(item=item).exists()
        assert (
            privacy.subject_items(client_id=tenant_a.client.pk, value="Maria Santos").count() == 0
        )
        assert crypto.is_sealed(WorkItem.objects.get(pk=keep.pk).payload["customer_name"])
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="privacy.subject_erased").count() == 1


def test_retention_purges_finished_work_past_its_period_only(tenant_a, forms):
    # protects: per-client retention (old finished work loses its personal data)
    old, recent, open_item = forms("PO-1", MARIA), forms("PO-2", JOHN), forms("PO-3", MARIA)
    now = timezone.now()
    with client_scope(clients=[tenant_a.client]):
        WorkItem.objects.filter(pk=old.pk).update(
            status="resolved", resolved_at=now - timedelta(days=100)
        )
        WorkItem.objects.filter(pk=recent.pk).update(
            status="resolved", resolved_at=now - timedelta(days=10)
        )
        WorkItem.objects.filter(pk=open_item.pk).update(created_at=now - timedelta(days=400))
        assert privacy.purge_expired(client_id=tenant_a.client.pk, now=now) == 0  # no policy
        privacy.set_retention(actor=None, client_id=tenant_a.client.pk, days=90)
        assert privacy.purge_expired(client_id=tenant_a.client.pk, now=now) == 1
        assert privacy.purge_expired(client_id=tenant_a.client.pk, now=now) == 0  # idempotent
        assert WorkItem.objects.get(pk=old.pk).payload["customer_name"] is None
        assert crypto.is_sealed(WorkItem.objects.get(pk=recent.pk).payload["customer_name"])
        assert crypto.is_sealed(WorkItem.objects.get(pk=open_item.pk).payload["customer_name"])


def test_offboarding_archives_then_shreds(tenant_a, tenant_b, forms, tmp_path):
    # protects: client off-boarding (hand back everything, then nothing readable remains)
    item = forms("PO-1", MARIA)
    archive = tmp_path / "acme.zip"
    out = io.StringIO()
    call_command(
        "privacy",
        "offboard",
        "--client",
        str(tenant_a.client.pk),
        "--archive",
        str(archive),
        stdout=out,
    )
    assert "1 items archived" in out.getvalue()
    with zipfile.ZipFile(archive) as bundle:
        lines = bundle.read("items.jsonl").decode().splitlines()
    assert json.loads(lines[0])["payload"]["customer_national_id"] == "QQ123456C"
    with client_scope(clients=[tenant_a.client]):
        stored = WorkItem.objects.get(pk=item.pk).payload["customer_national_id"]
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(stored)
    assert Client.objects.get(pk=tenant_a.client.pk).status == "offboarded"
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="keys.shredded", client=tenant_a.client).exists()


def test_the_cli_exports_and_erases_by_subject(tenant_a, forms, tmp_path):
    # protects: operators can answer a request without writing code
    forms("PO-1", JOHN)
    target = tmp_path / "john.json"
    out = io.StringIO()
    call_command(
        "privacy",
        "export",
        "--client",
        str(tenant_a.client.pk),
        "--subject",
        "JT481526B",
        "--out",
        str(target),
        stdout=out,
    )
    assert (
        json.loads(target.read_text())["items"][0]["payload"]["customer_name"] == "John Whitfield"
    )
    call_command(
        "privacy",
        "erase",
        "--client",
        str(tenant_a.client.pk),
        "--subject",
        "JT481526B",
        stdout=out,
    )
    assert "erased from 1 items" in out.getvalue()


def test_a_client_admin_exports_and_erases_through_the_api(client, tenant_a, tenant_b, forms):
    # protects: subject requests stay inside the caller's client (404 for another's)
    forms("PO-1", MARIA)
    client.force_login(tenant_a.client_admin)
    body = {"client_id": tenant_a.client.pk, "value": "Maria Santos"}
    exported = client.post("/api/v1/privacy/subject-export", body, content_type="application/json")
    assert exported.json()["items"][0]["payload"]["customer_name"] == "Maria Santos"
    other = {"client_id": tenant_b.client.pk, "value": "Maria Santos"}
    assert (
        client.post(
            "/api/v1/privacy/subject-export", other, content_type="application/json"
        ).status_code
        == 404
    )
    client.force_login(tenant_a.client_user)
    assert (
        client.post(
            "/api/v1/privacy/subject-erasure", body, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(tenant_a.client_admin)
    erased = client.post("/api/v1/privacy/subject-erasure", body, content_type="application/json")
    assert erased.json() == {"items_erased": 1}
