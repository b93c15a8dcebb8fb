"""The client's submission form asks only what a submitter knows: what the agent
produces (fields keyed, fields rejected) is neither asked nor taken from the form."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.test_pages import PDF, keying  # noqa: F401
from tercero.platform.tenancy.scoping import client_scope


def test_the_submit_form_never_asks_for_what_the_agent_produces(
    client,
    tenant_a,
    keying,  # noqa: F811
):
    # given the client's user on a keying queue
    _, queue = keying
    client.force_login(tenant_a.client_user)
    # when they open the submission form
    form = client.get(f"/portal/submit/{queue.pk}/").content.decode()
    # then it asks for the document, not for the keying's results
    assert "Fields total" in form
    assert "Fields keyed" not in form
    assert 'name="fields_keyed"' not in form
    assert "Fields rejected" not in form


def test_a_keyed_count_posted_anyway_is_not_taken(client, tenant_a, keying):  # noqa: F811
    # given a crafted post that claims the document is already keyed
    _, queue = keying
    client.force_login(tenant_a.client_user)
    # when it is submitted
    response = client.post(
        f"/portal/submit/{queue.pk}/",
        {
            "work_type": "capture.document",
            "document_ref": "PO-10",
            "fields_total": "4",
            "document_kind": "form",
            "pages": "1",
            "fields_keyed": "4",
            "fields_rejected": "1",
            "file": SimpleUploadedFile("order.pdf", PDF, "application/pdf"),
        },
    )
    # then the item starts with nothing keyed
    assert response.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        item = WorkItem.objects.get(payload__document_ref="PO-10")
    assert item.payload.get("fields_keyed", 0) == 0
    assert item.payload.get("fields_rejected", 0) == 0
