"""Loading lead lists: all or nothing, every bad row named, numbers in E.164 and sealed,
duplicates merged (the first kept), leads on a do-not-call list held with the rule."""

import pytest

from tercero.delivery.work.models import WorkEvent
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import dnc
from tercero.services.outbound.models import Lead, LeadList
from tercero.services.outbound.tests.world import build, load


@pytest.fixture
def world(tenant_a):
    return build(
        tenant_a,
        lead_fields=[
            {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["gold", "basic"]}
        ],
    )


def test_one_bad_row_loads_nothing_and_every_bad_row_is_named(client, world):
    # given
    client.force_login(world.manager)
    rows = [
        {"phone": "212 555 0123", "name": "Ann"},
        {"phone": "not a number", "name": "Bob"},
        {"phone": "+12125550124", "plan": "platinum"},
        {"phone": "+12125550125", "colour": "red"},
    ]

    # when
    response = client.post(
        f"/api/v1/outbound/campaigns/{world.campaign.pk}/lists",
        {"name": "March", "rows": rows},
        content_type="application/json",
    )

    # then
    assert response.status_code == 422
    named = {(row["line"], row["field"]) for row in response.json()["error"]["fields"]["rows"]}
    assert named == {(2, "phone"), (3, "plan"), (4, "colour")}
    with client_scope(clients=[world.tenant.client]):
        assert not Lead.objects.exists()
        assert not LeadList.objects.exists()


def test_numbers_are_normalised_sealed_and_duplicates_merged(world):
    # when
    lead_list = load(
        world,
        [
            {"phone": "(212) 555-0123", "name": "Ann Archer", "plan": "gold"},
            {"phone": "+1 212 555 0123", "name": "Ann again"},
            {"phone": "415-555-0142", "postal_code": "94103"},
        ],
    )
    again = load(world, [{"phone": "+14155550142"}, {"phone": "+12025550199"}], name="List 2")

    # then
    assert (lead_list.rows_total, lead_list.rows_loaded, lead_list.rows_merged) == (3, 2, 1)
    assert (again.rows_loaded, again.rows_merged) == (1, 1)
    assert lead_list.status == again.status == "ready"
    with client_scope(clients=[world.tenant.client]):
        loaded = WorkEvent.objects.filter(kind="outbound.lead_list.loaded").first()
    assert loaded.data == {
        "campaign_id": world.campaign.pk, "lead_list_id": lead_list.pk, "rows_total": 3,
        "rows_loaded": 2, "rows_merged": 1, "rows_held": 0,
    }  # fmt: skip
    with client_scope(clients=[world.tenant.client]):
        ann = Lead.objects.get(lead_list=lead_list, fields__plan="gold")
        assert crypto.is_sealed(ann.phone)
        assert crypto.is_sealed(ann.name)
        assert crypto.open_sealed(ann.phone) == "+12125550123"
        assert crypto.open_sealed(ann.name) == "Ann Archer"  # the first row kept
        assert ann.time_zone == "America/New_York"
        assert ann.status == "callable"


def test_a_number_on_the_do_not_call_list_is_held_with_the_rule(world):
    # given
    with client_scope(clients=[world.tenant.client]):
        dnc.add_number(
            actor=world.manager, client_ids=[world.tenant.client.pk], number="+12125550123"
        )

    # when
    lead_list = load(world, [{"phone": "+12125550123"}, {"phone": "+12125550124"}])

    # then
    with client_scope(clients=[world.tenant.client]):
        held = Lead.objects.get(status="held")
        assert held.held_reason.startswith("dnc.internal")
    assert lead_list.rows_held == 1


def test_a_registry_import_holds_a_loaded_lead_and_why_not_names_the_registry(client, world):
    # given
    lead_list = load(world, [{"phone": "+12125550123"}])
    client.force_login(world.manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    # when
    response = client.post(
        "/api/v1/outbound/registry-imports",
        {
            "client_id": world.tenant.client.pk,
            "kind": "US-NDNC",
            "file": SimpleUploadedFile("ndnc.txt", b"2125550123\n2125550199\nxyz\n"),
        },
    )

    # then
    assert response.status_code == 201, response.content
    assert response.json()["rows"] == 2
    assert response.json()["rows_rejected"] == 1
    with client_scope(clients=[world.tenant.client]):
        lead = lead_list.leads.get()
    assert lead.status == "held"
    why = client.get(f"/api/v1/outbound/leads/{lead.pk}/why-not").json()
    assert why["callable"] is False
    assert [r["rule"] for r in why["reasons"]][:1] == ["dnc.registry.US-NDNC"]
    assert why["next_callable_at"] is None


def test_consent_lets_a_registry_number_through(client, world):
    # given
    with client_scope(clients=[world.tenant.client]):
        dnc.import_registry(
            actor=None, client_id=world.tenant.client.pk, kind="US-NDNC",
            file_name="ndnc.txt", text="2125550123\n",
        )  # fmt: skip
    lead_list = load(world, [{"phone": "+12125550123"}])
    client.force_login(world.manager)

    # when
    response = client.post(
        "/api/v1/outbound/consents",
        {
            "client_id": world.tenant.client.pk, "number": "+12125550123",
            "source": "signed form", "obtained_at": "2026-01-05T10:00:00Z", "scope": "calls",
        },
        content_type="application/json",
    )  # fmt: skip

    # then
    assert response.status_code == 201, response.content
    with client_scope(clients=[world.tenant.client]):
        assert lead_list.leads.get().status == "callable"


def test_the_csv_page_names_bad_rows_and_loads_good_files(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.manager)
    url = f"/outbound/campaigns/{world.campaign.pk}/lists/"
    bad = SimpleUploadedFile("bad.csv", b"phone,name\n2125550123,Ann\n12,Bob\n")
    refused = client.post(url, {"name": "Bad", "file": bad})
    assert refused.status_code == 422
    assert "Rows to correct" in refused.content.decode()
    good = SimpleUploadedFile("good.csv", b"phone,name\n2125550123,Ann\n2125550123,Ann twice\n")
    loaded = client.post(url, {"name": "Good", "file": good}, follow=True)
    page = loaded.content.decode()
    assert "1 leads loaded, 1 duplicates merged" in page
