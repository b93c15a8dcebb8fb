"""Batch acceptance by ISO 2859-1 single sampling: the plan and its sample, inspection,
the decision with its table row in words, a held lot's rework (once) and its
re-inspection."""

import pytest
from django.http import HttpResponseRedirect
from django.test import Client as Browser

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent
from tercero.governance.quality import iso2859, lots
from tercero.governance.quality.models import Lot
from tercero.governance.quality.tests.world import build
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


@pytest.fixture
def world(tenant_a):
    return build(tenant_a, random_share="0")


def keyed(world, reference):
    """A document of the client's batch (its reference), keyed and resolved."""
    with client_scope(clients=[world.tenant.client]):
        item = work.create_item(
            actor=None, queue=world.queue, work_type="capture.document", external_ref=reference,
            payload={"document_ref": reference, "fields_total": 4, "fields_keyed": 4})  # fmt: skip
        item = work.assign(actor=None, item=item, agent=world.keyer)
        item = work.transition(actor=world.keyer.user, item=item, action="start")
        return work.transition(
            actor=world.keyer.user, item=item, action="resolve", resolution="Keyed."
        )


@pytest.fixture
def batch(world):
    """Ten keyed documents of the client's batch B-7 and one of another batch."""
    documents = [keyed(world, f"B-7/{n}") for n in range(10)]
    keyed(world, "B-8/1")
    return documents


@pytest.fixture
def inspector(world):
    return world.analyst.user


def _lot(world, **fields):
    fields.setdefault("reference", "B-7")
    fields.setdefault("aql", "6.5")
    with client_scope(clients=[world.tenant.client]):
        return lots.create_lot(
            actor=world.tenant.team_lead,
            engagement=world.engagement,
            work_type="capture.document",
            **fields,
        )


def test_the_batch_reference_gives_the_lot_its_plan_and_a_reproducible_sample(world, batch):
    # when
    lot = _lot(world)
    # then the ten B-7 documents, the plan of Table 2-A, a sample seeded by the lot's id
    plan = iso2859.plan(10, "6.5", "II")
    assert lot.item_ids == sorted(d.pk for d in batch)
    assert (lot.size, lot.code, lot.sample_size, lot.accept_number, lot.reject_number) == (
        10,
        plan.code,
        plan.n,
        plan.accept,
        plan.reject,
    )
    assert len(lot.sampled_item_ids) == plan.n
    assert lot.sampled_item_ids == lots.draw_sample(lot.pk, lot.item_ids, plan.n)
    assert set(lot.sampled_item_ids) <= set(lot.item_ids)


def test_a_lot_whose_sampled_items_all_pass_is_accepted_with_its_table_row(world, batch, inspector):
    # given
    lot = _lot(world)
    # when every sampled item is inspected, none defective
    with client_scope(clients=[world.tenant.client]):
        for item_id in lot.sampled_item_ids:
            lot = lots.inspect_item(
                actor=inspector, lot=lot, source_item_id=item_id, defective=False
            )
        event = WorkEvent.objects.get(kind="quality.lot.decided")
    # then
    assert lot.status == "accepted"
    assert lot.decision_note == (
        "Lot of 10 at AQL 6.5, general inspection level II: code letter A, sample 2, "
        "accept with up to 0 defects, reject at 1; 0 defects found: accepted"
    )
    assert event.data["decision"] == "accepted"
    assert event.data["reworked_item_ids"] == []
    with all_clients_scope():
        assert (
            AuditEvent.objects.filter(action="quality.lot.decided", object_id=str(lot.pk)).count()
            == 1
        )


def test_a_held_lot_sends_its_defective_items_back_for_rework_once(world, batch, inspector):
    # given
    lot = _lot(world)
    first, second = lot.sampled_item_ids
    # when the first sampled item is defective: the rejection number (1) is reached
    with client_scope(clients=[world.tenant.client]):
        lot = lots.inspect_item(
            actor=inspector, lot=lot, source_item_id=first, defective=True, note="IBAN wrong"
        )
        # then it is held at once, the item reopened with the lot named, and nothing more
        with pytest.raises(Conflict):
            lots.inspect_item(actor=inspector, lot=lot, source_item_id=second, defective=True)
        reopened = list(WorkEvent.objects.filter(kind="item.reopened", item_id=first))
        item = work_selectors.access_item(client_ids=[world.tenant.client.pk], item_id=first)
    assert lot.status == "held"
    assert lot.decision_note.endswith("1 defect found in 1 of 2 inspected: held for rework")
    assert len(reopened) == 1
    assert "Lot B-7 was held" in reopened[0].data["reason"]
    assert item.status == "queued"


def test_a_held_lot_is_inspected_again_only_after_its_rework(world, batch, inspector):
    # given a held lot whose defective item is back in the queue
    lot = _lot(world)
    defective = lot.sampled_item_ids[0]
    with client_scope(clients=[world.tenant.client]):
        lot = lots.inspect_item(actor=inspector, lot=lot, source_item_id=defective, defective=True)
        # when re-inspection is asked before the rework is done
        with pytest.raises(Conflict, match="1 item sent back for rework is not resolved yet"):
            lots.reinspect(actor=world.tenant.team_lead, lot=lot, version=lot.version)
        # and after it is resolved again
        item = work_selectors.access_item(client_ids=[world.tenant.client.pk], item_id=defective)
        item = work.assign(actor=None, item=item, agent=world.keyer)
        item = work.transition(actor=world.keyer.user, item=item, action="start")
        work.transition(actor=world.keyer.user, item=item, action="resolve", resolution="Fixed.")
        again = lots.reinspect(actor=world.tenant.team_lead, lot=lot, version=lot.version)
        old = Lot.objects.get(pk=lot.pk)
    # then a new lot of the same items, with a sample of its own; the old one reworked
    assert old.status == "reworked"
    assert (again.status, again.reference, again.item_ids) == ("inspecting", "B-7", lot.item_ids)
    assert again.sampled_item_ids == lots.draw_sample(again.pk, lot.item_ids, lot.sample_size)


def test_the_decision_reads_the_standards_table_row(world):
    # given the published example: a lot of 2,000 at AQL 1.0, level II
    plan = iso2859.plan(2000, "1.0", "II")
    lot = Lot(size=2000, aql=plan.aql, level="II", code=plan.code, sample_size=plan.n,
              accept_number=plan.accept, reject_number=plan.reject, defects=2,
              status="accepted")  # fmt: skip
    # then
    assert lots.decision_words(lot, inspected=125) == (
        "Lot of 2,000 at AQL 1.0, general inspection level II: code letter K, sample 125, "
        "accept with up to 3 defects, reject at 4; 2 defects found: accepted"
    )


def test_bad_lots_are_refused_with_the_field_named(world, batch):
    with client_scope(clients=[world.tenant.client]):
        with pytest.raises(InvalidInput) as bad_aql:
            _lot(world, aql="0.3")
        with pytest.raises(InvalidInput) as front_office:
            lots.create_lot(
                actor=None, engagement=world.engagement, work_type="care.ticket",
                aql="1.0", reference="B-7")  # fmt: skip
        with pytest.raises(InvalidInput) as unknown_batch:
            _lot(world, reference="NOPE")
        with pytest.raises(InvalidInput) as foreign_item:
            _lot(world, reference="", item_ids=[batch[0].pk, 10**9])
        _lot(world)
        with pytest.raises(Conflict):
            _lot(world)  # B-7 is already being inspected
    assert "aql" in bad_aql.value.fields
    assert "work_type" in front_office.value.fields
    assert "reference" in unknown_batch.value.fields
    assert "item_ids" in foreign_item.value.fields
    with all_clients_scope():
        assert Lot.objects.count() == 1


def test_the_api_creates_inspects_and_shows_a_lot(world, batch, tenant_a, tenant_b):
    # given a delivery manager of client A
    manager = UserFactory.create(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        manager.grants.create(client=tenant_a.client, reason="test")
    browser = Browser()
    browser.force_login(manager)
    # when
    made = browser.post(
        "/api/v1/quality/lots",
        {"engagement_id": world.engagement.pk, "work_type": "capture.document", "aql": "6.5",
         "reference": "B-7"},
        content_type="application/json",
    )  # fmt: skip
    lot_id = made.json()["id"]
    sampled = made.json()["sampled_item_ids"]
    inspected = browser.post(
        f"/api/v1/quality/lots/{lot_id}/inspections",
        {"source_item_id": sampled[0], "defective": False},
        content_type="application/json",
    )
    again = browser.post(
        f"/api/v1/quality/lots/{lot_id}/inspections",
        {"source_item_id": sampled[0], "defective": False},
        content_type="application/json",
    )
    shown = browser.get(f"/api/v1/quality/lots/{lot_id}").json()
    # then
    assert made.status_code == 201
    assert made.json()["code"] == "A"
    assert inspected.status_code == 201
    assert again.status_code == 409
    assert [i["source_item_id"] for i in shown["inspections"]] == [sampled[0]]
    assert shown["status"] == "inspecting"


def test_the_pages_create_a_lot_and_record_its_inspection(world, batch):
    # given a delivery manager of client A
    manager = UserFactory.create(email="dm@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        manager.grants.create(client=world.tenant.client, reason="test")
    browser = Browser()
    browser.force_login(manager)
    # when the lot is created and one sampled item recorded as defective
    made = browser.post(
        "/quality/lots/",
        {"engagement": world.engagement.pk, "work_type": "capture.document", "aql": "6.5",
         "level": "II", "reference": "B-7"},
    )  # fmt: skip
    with client_scope(clients=[world.tenant.client]):
        lot = Lot.objects.get()
    assert isinstance(made, HttpResponseRedirect)
    browser.post(made.url, {"item": lot.sampled_item_ids[0], "defective": "1", "note": "IBAN"})
    page = browser.get(made.url).content.decode()
    listing = browser.get("/quality/lots/").content.decode()
    # then
    assert made.status_code == 302
    assert "Held" in page
    assert "1 defect found in 1 of 2 inspected: held for rework." in page
    assert "B-7" in listing
