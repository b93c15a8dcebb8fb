"""Intake as one batch path: a single create and a bulk of 100 each write with a fixed,
small number of statements (items, skill requirements and outbox events one multi-row
insert each), read the client's keys at most once (on PostgreSQL not at all while this
process holds them: the batch's statement checks them), and read nothing back; a batch
keyed for idempotency happens once."""

import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tercero.delivery.work import services
from tercero.delivery.work.api import items as items_api
from tercero.delivery.work.api._common import ItemOut
from tercero.delivery.work.models import SkillRequirement, WorkEvent, WorkItem
from tercero.delivery.work.services import intake
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.errors import Conflict
from tercero.platform.identity.services import create_api_token
from tercero.platform.security import crypto, keyring
from tercero.platform.security.models import DataKey
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

JSON = "application/json"
PERSON = {
    "customer_name": "Maria Santos",
    "customer_national_id": "QQ123456C",
    "customer_date_of_birth": "1984-03-17",
    "customer_iban": "DE89370400440532013000",
}


def _document(n: int) -> dict:
    return {
        "work_type": "capture.document",
        "payload": {"document_ref": f"PO-{n}", "fields_total": 3, **PERSON},
    }


@pytest.fixture
def documents(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Keying")
    return make_queue(engagement, name="Forms", work_types=["capture.document"])


@pytest.fixture
def bearer(tenant_a):
    with all_clients_scope():
        _, token = create_api_token(
            actor=tenant_a.client_user,
            client=tenant_a.client,
            name="intake",
            scopes=["work:read", "work:write"],
        )
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _keys_made_and_forgotten(client_id: int) -> None:
    """The client has keys (made by an earlier item) but this process holds none."""
    crypto.keys_for(client_id, data=True, index=True)
    crypto.forget_keys()


def _inserts() -> int:
    """Statements that write a batch: on PostgreSQL one for items, requirements and
    events together; elsewhere one multi-row insert per table."""
    return 1 if connection.vendor == "postgresql" else 3


def _statements(captured: CaptureQueriesContext) -> dict[str, int]:
    """How many statements of each kind ran (savepoints apart: tests nest transactions)."""
    counts = {"insert": 0, "key read": 0, "item read": 0, "other": 0}
    for query in captured.captured_queries:
        sql = query["sql"]
        if "SAVEPOINT" in sql:
            continue
        if sql.startswith("INSERT") or (sql.startswith("WITH") and "INSERT INTO" in sql):
            counts["insert"] += 1
        elif "security_datakey" in sql:
            counts["key read"] += 1
        elif sql.startswith("SELECT") and 'FROM "work_workitem"' in sql:
            counts["item read"] += 1
        else:
            counts["other"] += 1
    return counts


def test_a_single_create_is_at_most_three_inserts_one_key_read_and_no_read_back(
    tenant_a, documents
):
    # protects: intake speed (the issue counted 26 statements, 8 of them key reads)
    with client_scope(clients=[tenant_a.client]):
        _keys_made_and_forgotten(tenant_a.client.pk)
        with CaptureQueriesContext(connection) as captured:
            item = services.create_item(actor=None, queue=documents, **_document(1))
        assert _statements(captured) == {
            "insert": _inserts(),
            "key read": 1,
            "item read": 0,
            "other": 0,
        }
        assert WorkEvent.objects.filter(item=item).count() == 2
        assert crypto.open_sealed(WorkItem.objects.get().payload["customer_name"]) == (
            "Maria Santos"
        )


def test_a_bulk_of_100_is_at_most_three_inserts_and_one_key_read(tenant_a, documents):
    # protects: intake speed (the issue counted 817 statements, 800 of them key reads)
    with client_scope(clients=[tenant_a.client]):
        _keys_made_and_forgotten(tenant_a.client.pk)
        with CaptureQueriesContext(connection) as captured:
            created, errors = services.create_items(
                actor=None, queue=documents, rows=[_document(n) for n in range(100)]
            )
        assert errors == {}
        assert _statements(captured) == {
            "insert": _inserts(),
            "key read": 1,
            "item read": 0,
            "other": 0,
        }
        assert WorkItem.objects.count() == 100
        assert SkillRequirement.objects.count() == 100
        assert WorkEvent.objects.filter(kind__in=["item.created", "item.queued"]).count() == 200
        assert [item.external_ref for item in created] == [""] * 100
        sealed = WorkItem.objects.get(pk=created[42].pk).payload["customer_iban"]
        assert crypto.open_sealed(sealed) == PERSON["customer_iban"]


def test_the_api_creates_one_item_in_a_fixed_small_number_of_statements(
    client, tenant_a, documents, bearer
):
    # protects: intake speed through the API door (token, scope, item, events, answer)
    body = {"queue_id": documents.pk, **_document(1)}
    assert client.post("/api/v1/work-items", body, content_type=JSON, **bearer).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        answer = client.post("/api/v1/work-items", body, content_type=JSON, **bearer)
    assert answer.status_code == 201
    counts = _statements(captured)
    assert counts["insert"] == _inserts()
    assert counts["item read"] == 0  # the answer is the item as written
    assert sum(counts.values()) <= 10
    shown = answer.json()
    assert shown["payload"]["customer_iban"] == "•••• 3000"
    assert shown["required_skills"] == {"data_entry": 1}
    assert shown["status"] == "queued"
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.get(pk=shown["id"]).version == shown["version"]


def test_the_api_answers_a_create_as_a_read_of_the_item_shows_it(
    client, tenant_a, documents, bearer
):
    # protects: the create's answer, built from the item as written without validating
    # it back, says exactly what the item's own page in the API says
    body = {
        "queue_id": documents.pk,
        **_document(1),
        "title": "Form 1",
        "priority": 2,
        "required_skills": {"german": 3},
        "external_ref": "PO-1",
    }
    with time_machine.travel(timezone.now(), tick=False):
        created = client.post("/api/v1/work-items", body, content_type=JSON, **bearer)
        read = client.get(f"/api/v1/work-items/{created.json()['id']}", **bearer)
    assert (created.status_code, read.status_code) == (201, 200)
    assert created.json() == read.json()
    assert created["Content-Type"] == read["Content-Type"] == "application/json; charset=utf-8"
    assert created.json()["display"] != []
    assert set(ItemOut._ninja_resolvers) == items_api._RESOLVED


def test_the_api_creates_a_bulk_of_100_in_the_same_number_of_statements(
    client, tenant_a, documents, bearer
):
    # protects: intake speed (statements per batch do not grow with its size)
    def post(rows: list[dict]):
        body = {"queue_id": documents.pk, "items": rows}
        return client.post("/api/v1/work-items/bulk", body, content_type=JSON, **bearer)

    with CaptureQueriesContext(connection) as one:
        assert post([_document(0)]).status_code == 201
    with CaptureQueriesContext(connection) as hundred:
        answer = post([_document(n) for n in range(1, 101)])
    assert answer.status_code == 201
    assert len(answer.json()["created"]) == 100
    assert len(hundred.captured_queries) <= len(one.captured_queries)
    assert _statements(hundred)["insert"] == _inserts()


def test_a_batch_with_an_idempotency_key_happens_once(tenant_a, documents):
    # protects: a resumed import or a retried push creates nothing twice
    rows = [_document(n) for n in range(3)]
    with client_scope(clients=[tenant_a.client]):
        first = services.take_in(
            actor=tenant_a.client_user, queue=documents, rows=rows, idempotency_key="job-1:0"
        )
        again = services.take_in(
            actor=tenant_a.client_user, queue=documents, rows=rows, idempotency_key="job-1:0"
        )
        assert (first.replayed, again.replayed) == (False, True)
        assert [i.pk for i in again.created] == [i.pk for i in first.created]
        assert WorkItem.objects.count() == 3
        with pytest.raises(Conflict) as refused:
            services.take_in(
                actor=tenant_a.client_user,
                queue=documents,
                rows=rows[:1],
                idempotency_key="job-1:0",
            )
        assert refused.value.code == "idempotency_key_reused"
        assert WorkItem.objects.count() == 3


def test_a_refused_keyed_batch_leaves_no_receipt(tenant_a, documents):
    # protects: all or nothing (a refused batch can be corrected and sent again)
    bad = [_document(0), {"work_type": "capture.document", "payload": {}}]
    with client_scope(clients=[tenant_a.client]):
        refused = services.take_in(
            actor=tenant_a.client_user, queue=documents, rows=bad, idempotency_key="k"
        )
        assert refused.created == []
        assert list(refused.errors) == [1]
        good = services.take_in(
            actor=tenant_a.client_user, queue=documents, rows=bad[:1], idempotency_key="k"
        )
        assert (len(good.created), good.replayed) == (1, False)
        assert WorkItem.objects.count() == 1


def test_an_idempotency_key_needs_a_person(tenant_a, documents):
    with client_scope(clients=[tenant_a.client]), pytest.raises(ValueError, match="person"):
        services.take_in(actor=None, queue=documents, rows=[_document(0)], idempotency_key="k")
    with client_scope(clients=[tenant_a.client]):
        assert WorkItem.objects.count() == 0


def test_a_held_item_is_created_new_with_one_event(tenant_a, documents):
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(actor=None, queue=documents, rows=[{**_document(0), "hold": True}])
        item = done.created[0]
        assert (item.status, item.queued_at) == ("new", None)
        kinds = list(WorkEvent.objects.filter(item=item).values_list("kind", flat=True))
    assert kinds == ["item.created"]
    assert json.loads(json.dumps(done.errors)) == {}


def test_a_batch_is_stored_as_given_in_row_order(tenant_a, documents):
    # protects: the one-statement insert (ids drawn in row order, requirements and
    # events on their own item, the outbox in the order the batch produced it)
    rows = [
        {**_document(0), "priority": 1, "external_ref": "A-0"},
        {**_document(1), "hold": True, "required_skills": {"german": 3}},
        {**_document(2), "channel": "email"},
    ]
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(actor=tenant_a.client_user, queue=documents, rows=rows)
        ids = [item.pk for item in done.created]
        assert ids == sorted(ids)
        stored = WorkItem.objects.in_bulk(ids)
        for item in done.created:
            again = stored[item.pk]
            for name in ("title", "payload", "subject_keys", "skill_keys", "status"):
                assert getattr(again, name) == getattr(item, name), name
            for name in ("created_at", "queued_at", "due_at", "at_risk_at", "route_due_at"):
                assert getattr(again, name) == getattr(item, name), name
            assert (again.created_by_id, again.engagement_id) == (
                tenant_a.client_user.pk,
                documents.engagement_id,
            )
        assert (stored[ids[0]].priority, stored[ids[0]].external_ref) == (1, "A-0")
        assert stored[ids[2]].channel == "email"
        required = {
            (r.item_id, r.skill, r.min_level)
            for r in SkillRequirement.objects.filter(item_id__in=ids)
        }
        assert required == {
            (ids[0], "data_entry", 1),
            (ids[1], "data_entry", 1),
            (ids[1], "german", 3),
            (ids[2], "data_entry", 1),
        }
        outbox = list(
            WorkEvent.objects.filter(item_id__in=ids)
            .order_by("id")
            .values_list("item_id", "kind", "actor_id", "data")
        )
        user = tenant_a.client_user.pk
        assert outbox == [
            (ids[0], "item.created", user, {"work_type": "capture.document"}),
            (ids[0], "item.queued", user, {"queue_id": documents.pk}),
            (ids[1], "item.created", user, {"work_type": "capture.document"}),
            (ids[2], "item.created", user, {"work_type": "capture.document"}),
            (ids[2], "item.queued", user, {"queue_id": documents.pk}),
        ]
        assert crypto.open_sealed(stored[ids[1]].payload["customer_name"]) == "Maria Santos"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_a_transaction_is_one_statement_in_its_own(
    tenant_a, documents, monkeypatch
):
    # protects: intake speed (no BEGIN and COMMIT round trips around the one statement)
    # and all or nothing (a refused statement leaves nothing)
    states: list[tuple[bool, str]] = []

    def observe(execute, sql, params, many, context):
        states.append((connection.in_atomic_block, sql.split(None, 1)[0]))
        return execute(sql, params, many, context)

    with client_scope(clients=[tenant_a.client]):
        _keys_made_and_forgotten(tenant_a.client.pk)
        with connection.execute_wrapper(observe):
            item = services.create_item(
                actor=None, queue=documents, **{**_document(1), "external_ref": "R-1"}
            )
        assert states == [(False, "SELECT"), (False, "WITH")]  # the key rows, the batch
        assert WorkEvent.objects.filter(item=item).count() == 2
        assert SkillRequirement.objects.filter(item=item).count() == 1
        # the reference taken between the batch's check and its insert (a race)
        monkeypatch.setattr(intake, "_refuse_duplicate_refs", lambda **given: given["prepared"])
        with pytest.raises(Conflict):
            services.create_items(
                actor=None,
                queue=documents,
                rows=[_document(2), {**_document(3), "external_ref": "R-1"}],
            )
        assert WorkItem.objects.count() == 1
        assert WorkEvent.objects.count() == 2
        assert SkillRequirement.objects.count() == 1


def _rotated_elsewhere(client_id: int) -> int:
    """What another process's rotation leaves in the key rows (this process's held keys
    are not told): the old data key readable, a new active one. Returns its version."""
    current = DataKey.objects.filter(client_id=client_id, purpose=DataKey.Purpose.DATA)
    version = max(current.values_list("version", flat=True)) + 1
    current.update(state=DataKey.State.READABLE)
    master_id, wrapped = keyring.wrap(
        keyring.new_key(), context=crypto.key_context(client_id, DataKey.Purpose.DATA, version)
    )
    DataKey.objects.create(
        client_id=client_id,
        purpose=DataKey.Purpose.DATA,
        version=version,
        master_id=master_id,
        wrapped=wrapped,
    )
    return version


def _sealed_version(item: WorkItem) -> int:
    return crypto.parse(WorkItem.objects.get(pk=item.pk).payload["customer_name"])[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_the_keys_held_a_single_create_is_the_batch_statement_alone(tenant_a, documents):
    # protects: intake speed (the key rows are checked inside the batch's statement,
    # not read in a round trip of their own)
    statements: list[str] = []

    def observe(execute, sql, params, many, context):
        statements.append(sql.split(None, 1)[0])
        return execute(sql, params, many, context)

    with client_scope(clients=[tenant_a.client]):
        services.create_item(actor=None, queue=documents, **_document(1))
        with connection.execute_wrapper(observe):
            item = services.create_item(actor=None, queue=documents, **_document(2))
        assert statements == ["WITH"]
        assert (
            crypto.open_sealed(WorkItem.objects.get(pk=item.pk).payload["customer_iban"])
            == (PERSON["customer_iban"])
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rotation_elsewhere_is_used_by_the_next_create_though_the_keys_were_held(
    tenant_a, documents
):
    # protects: key rotation by another process takes effect at once (the batch sealed
    # with the held keys is refused by its statement and sealed again, written once)
    with client_scope(clients=[tenant_a.client]):
        first = services.create_item(actor=None, queue=documents, **_document(1))
        version = _rotated_elsewhere(tenant_a.client.pk)
        # when
        second = services.create_items(
            actor=None, queue=documents, rows=[_document(2), _document(3)]
        )[0]
        # then
        assert (_sealed_version(first), version) == (1, 2)
        assert [_sealed_version(item) for item in second] == [2, 2]
        assert WorkItem.objects.count() == 3
        assert WorkEvent.objects.count() == 6
        assert SkillRequirement.objects.count() == 3
        assert [crypto.open_sealed(i.payload["customer_name"]) for i in second] == [
            "Maria Santos"
        ] * 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_shred_elsewhere_the_next_create_seals_under_a_new_key(tenant_a, documents):
    # protects: crypto-shredding by another process takes effect at once: nothing new
    # is sealed under a destroyed key, and what it sealed stays unopenable
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        first = services.create_item(actor=None, queue=documents, **_document(1))
        old_keys = set(DataKey.objects.values_list("pk", flat=True))
        DataKey.objects.filter(client_id=client_id).delete()  # the other process's shred
        # when
        second = services.create_item(actor=None, queue=documents, **_document(2))
        # then
        stored = WorkItem.objects.in_bulk([first.pk, second.pk])
        assert crypto.open_sealed(stored[second.pk].payload["customer_name"]) == "Maria Santos"
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(stored[first.pk].payload["customer_name"])
        assert stored[first.pk].subject_keys != stored[second.pk].subject_keys
        assert not old_keys & set(DataKey.objects.values_list("pk", flat=True))
        assert WorkEvent.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_keys_that_keep_changing_refuse_the_batch_and_write_nothing(
    tenant_a, documents, monkeypatch
):
    # protects: all or nothing (a batch whose keys never match the key rows is refused
    # with a clear conflict after a few tries, never written with a stale key)
    with client_scope(clients=[tenant_a.client]):
        services.create_item(actor=None, queue=documents, **_document(1))
        stale = crypto.held_keys(tenant_a.client.pk)
        _rotated_elsewhere(tenant_a.client.pk)
        monkeypatch.setattr(crypto, "held_keys", lambda client_id: stale)
        monkeypatch.setattr(crypto, "keys_for", lambda client_id, **wanted: stale)
        # when
        with pytest.raises(Conflict) as refused:
            services.create_items(actor=None, queue=documents, rows=[_document(2)] * 2)
        # then
        assert refused.value.code == "keys_changed"
        assert WorkItem.objects.count() == 1
        assert WorkEvent.objects.count() == 2
