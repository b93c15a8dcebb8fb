"""`update_payload`, the one door through which a service changes what an item holds: the
merged payload checked against the work type's schema, personal fields sealed and their
lookup keys kept as on creation, a title or language from the payload following it, and
an `item.payload_changed` event that the audit chain takes from the outbox."""

import pytest
from pydantic import BaseModel, Field

from tercero.delivery.work import outbox, registry, selectors, services
from tercero.delivery.work.registry import WorkType
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope


class CallPayload(BaseModel):
    call_id: str = Field(min_length=1, max_length=40)
    state: str = Field(default="ringing", pattern="^(ringing|answered|ended)$")
    caller_number: str = Field(default="", max_length=40)
    language: str = Field(default="", pattern=r"^([a-z]{2})?$")


def _call_summary(payload: BaseModel) -> str:
    assert isinstance(payload, CallPayload)  # the registry hands the type its own schema
    return f"Call {payload.call_id} ({payload.state})"


CALL = WorkType(
    key="test.call",
    title="Call",
    payload_schema=CallPayload,
    office="front",
    channel="phone",
    language_field="language",
    summary=_call_summary,
    personal_fields=("caller_number",),
)


@pytest.fixture
def queue(tenant_a):
    registry.register(CALL)
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement, work_types=[CALL.key])
    with client_scope(clients=[tenant_a.client]):
        yield queue
    registry.unregister(CALL.key)


def _call(queue, **fields):
    payload = {"call_id": "c-42", "caller_number": "+44 20 7946 0958", "language": "en"}
    return services.create_item(
        actor=None, queue=queue, work_type=CALL.key, payload=payload, **fields
    )


def _kinds(item) -> list[str]:
    return [event.kind for event in selectors.events_of(item=item)]


def test_a_payload_change_is_stored_with_its_event_and_joins_the_audit_chain(queue, tenant_a):
    # protects: a service writing an item's payload with no event and no audit trail
    # given
    item = _call(queue)
    # when
    changed = services.update_payload(
        actor=tenant_a.team_lead, item=item, changes={"state": "answered"}, reason="PBX event"
    )
    # then
    item.refresh_from_db()
    assert changed.pk == item.pk
    assert item.payload["state"] == "answered"
    assert item.payload["call_id"] == "c-42"
    assert crypto.is_sealed(item.payload["caller_number"])
    assert item.version == 2
    assert _kinds(item) == ["item.created", "item.queued", "item.payload_changed"]
    event = selectors.events_of(item=item).last()
    assert event is not None
    assert event.data == {"fields": ["state"], "item_fields": ["title"], "reason": "PBX event"}
    assert event.actor_id == tenant_a.team_lead.pk
    outbox.consume("audit")
    audited = AuditEvent.objects.get(action="work.item.payload_changed")
    assert audited.object_type == "work_item"
    assert audited.object_id == str(item.pk)
    assert audited.client_id == item.client_id
    assert audited.payload["fields"] == ["state"]
    assert audited.payload["work_event_id"] == event.pk


def test_an_unchanged_personal_field_stays_sealed_and_findable(queue, tenant_a):
    # protects: a payload change dropping the caller's number or its lookup key
    # given
    item = _call(queue)
    keys = list(item.subject_keys)
    # when
    services.update_payload(actor=None, item=item, changes={"state": "ended"})
    # then
    item.refresh_from_db()
    assert item.subject_keys == keys == [crypto.lookup_hash(item.client_id, "+44 20 7946 0958")]
    assert crypto.open_sealed(item.payload["caller_number"]) == "+44 20 7946 0958"


def test_a_changed_personal_field_is_sealed_and_found_by_its_new_key(queue, tenant_a):
    # protects: a personal value written in clear, or found under its old value only
    # given
    item = _call(queue)
    # when
    services.update_payload(actor=None, item=item, changes={"caller_number": "+34 600 123 456"})
    # then
    item.refresh_from_db()
    assert crypto.is_sealed(item.payload["caller_number"])
    assert crypto.open_sealed(item.payload["caller_number"]) == "+34 600 123 456"
    assert item.subject_keys == [crypto.lookup_hash(item.client_id, "+34 600 123 456")]
    last = selectors.events_of(item=item).last()
    assert last is not None
    assert last.data == {"fields": ["caller_number"]}


def test_a_title_and_language_from_the_payload_follow_it(queue, tenant_a):
    # protects: an item's title and language going stale once its payload changes
    # given
    item = _call(queue)
    assert (item.title, item.language) == ("Call c-42 (ringing)", "en")
    # when
    services.update_payload(actor=None, item=item, changes={"state": "ended", "language": "de"})
    # then
    item.refresh_from_db()
    assert (item.title, item.language) == ("Call c-42 (ended)", "de")
    last = selectors.events_of(item=item).last()
    assert last is not None
    assert last.data == {
        "fields": ["language", "state"],
        "item_fields": ["language", "title"],
    }


def test_a_title_and_language_set_by_hand_stay(queue, tenant_a):
    # protects: a payload change overwriting what a person chose
    # given
    item = _call(queue, title="Complaint about billing", language="fr")
    # when
    services.update_payload(actor=None, item=item, changes={"state": "ended", "language": "de"})
    # then
    item.refresh_from_db()
    assert (item.title, item.language) == ("Complaint about billing", "fr")
    assert item.payload["language"] == "de"


def test_a_payload_that_does_not_fit_the_schema_is_refused_and_nothing_is_written(queue, tenant_a):
    # protects: a service storing a payload its work type would refuse on creation
    # given
    item = _call(queue)
    # when
    with pytest.raises(InvalidInput) as bad_value:
        services.update_payload(actor=None, item=item, changes={"state": "on hold"})
    with pytest.raises(InvalidInput) as unknown:
        services.update_payload(actor=None, item=item, changes={"mood": "happy"})
    # then
    assert list(bad_value.value.fields) == ["payload.state"]
    assert unknown.value.fields == {"payload.mood": "unknown"}
    item.refresh_from_db()
    assert item.payload["state"] == "ringing"
    assert item.version == 1
    assert _kinds(item) == ["item.created", "item.queued"]


def test_a_stale_version_is_refused(queue, tenant_a):
    # protects: two writers overwriting each other's payload change
    # given
    item = _call(queue)
    services.update_payload(actor=None, item=item, changes={"state": "answered"}, version=1)
    # when
    with pytest.raises(Conflict) as stale:
        services.update_payload(actor=None, item=item, changes={"state": "ended"}, version=1)
    # then
    assert stale.value.code == "stale_version"
    item.refresh_from_db()
    assert (item.payload["state"], item.version) == ("answered", 2)


def test_a_change_that_changes_nothing_writes_nothing(queue, tenant_a):
    # protects: a repeated event bumping the version and flooding the outbox
    # given
    item = _call(queue)
    # when
    services.update_payload(actor=None, item=item, changes={"state": "ringing"})
    services.update_payload(actor=None, item=item, changes={})
    # then
    item.refresh_from_db()
    assert item.version == 1
    assert _kinds(item) == ["item.created", "item.queued"]
