"""The batch intake's shortcuts keep every behaviour: a batch's SLA clocks (worked out
once per kind of row) are the ones each item would get alone, a payload's card numbers
are cut as `redact_tree` cuts them, personal fields are sealed and hashed as
`personal.protect` and `personal.lookup_keys` do, and what the batch insert writes is
exactly what Django itself writes for the same item."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tercero.delivery.work import personal, registry, services, sla
from tercero.delivery.work.models import SkillRequirement, WorkItem
from tercero.delivery.work.services.intake_build import _cut, _without_cards
from tercero.delivery.work.tests.conftest import FORM, TICKET, live_engagement, make_queue
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_tree
from tercero.platform.tenancy.scoping import client_scope

WEEKDAYS = {str(d): [["09:00", "17:00"]] for d in range(5)}
TARGETS = [
    {"metric": "first_response", "priority": "P1", "target_seconds": 1800},
    {"metric": "first_response", "target_seconds": 4 * 3600},
    {"metric": "resolution", "priority": "P2", "target_seconds": 6 * 3600},
    {"metric": "resolution", "target_seconds": 20 * 3600},
    {"metric": "turnaround", "target_business_days": 20},
    {"metric": "answer", "priority": "P1", "target_seconds": 15},
]


def _raw(table: str, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # a model's own table
        return cursor.fetchone()


def _days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def test_a_batch_arrives_at_one_moment_with_each_items_own_clocks(tenant_a):
    # protects: SLA clocks worked out once per kind of row are each item's own
    engagement = live_engagement(
        tenant_a.client,
        hours_of_cover="business_hours",
        working_hours=WEEKDAYS,
        holiday_country="US",
        sla_targets=TARGETS,
    )
    queue = make_queue(engagement, at_risk_percent=60)
    rows: list[dict[str, Any]] = [
        {"work_type": TICKET.key, "payload": {"subject": f"s{p}"}, "priority": p}
        for p in (1, 2, 3, 4, 1, 2)
    ]
    rows += [
        {"work_type": TICKET.key, "payload": {"subject": "chat"}, "channel": "chat", "priority": 1},
        {"work_type": TICKET.key, "payload": {"subject": "held"}, "hold": True},
        {"work_type": FORM.key, "payload": {"document": "a", "fields_total": 1}},
        {
            "work_type": FORM.key,
            "payload": {"document": "b", "fields_total": 1, "pay_date": _days(1)},
        },
        {
            "work_type": FORM.key,
            "payload": {"document": "c", "fields_total": 1, "pay_date": _days(8)},
        },
    ]
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(actor=None, queue=queue, rows=rows)
        assert done.errors == {}
        moments = {item.created_at for item in done.created}
        assert len(moments) == 1
        stored = WorkItem.objects.in_bulk([item.pk for item in done.created])
        clock_fields = (
            "response_due_at",
            "response_at_risk_at",
            "resolution_due_at",
            "resolution_at_risk_at",
            "due_at",
            "at_risk_at",
            "route_due_at",
        )
        for row, item in zip(rows, done.created, strict=True):
            work_type = registry.get(row["work_type"])
            alone = WorkItem(
                client_id=queue.client_id,
                engagement=engagement,
                queue=queue,
                work_type=work_type.key,
                priority=row.get("priority", queue.priority),
                channel=row.get("channel", work_type.channel),
                status=item.status,
                created_at=item.created_at,
            )
            sla.start_clocks(
                alone,
                engagement=engagement,
                work_type=work_type,
                payload=work_type.parse(row["payload"]),
                at_risk_percent=queue.at_risk_percent,
            )
            for name in clock_fields:
                assert getattr(stored[item.pk], name) == getattr(alone, name), (row, name)
    dues = {stored[item.pk].resolution_due_at for item in done.created[-3:]}
    assert len(dues) == 3  # two hard deadlines, each before the turnaround clock


def test_a_batch_on_an_engagement_without_working_time_refuses_each_row(tenant_a):
    engagement = live_engagement(
        tenant_a.client, hours_of_cover="business_hours", working_hours={}, sla_targets=TARGETS
    )
    queue = make_queue(engagement)
    rows = [{"work_type": TICKET.key, "payload": {"subject": f"s{n}"}} for n in range(3)]
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(actor=None, queue=queue, rows=rows, all_or_nothing=False)
        assert done.created == []
        assert sorted(done.errors) == [0, 1, 2]
        assert WorkItem.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"a": "no digits", "b": 4111111111111111, "c": None},
        {"a": "card 4111 1111 1111 1111 here", "b": "ref 12"},
        {"a": "4111111111111111", "b": "4111111111111112"},
        {"a": "1234567", "b": "890123456789"},  # a card only if the two were one string
        {"a": "4111-1111-1111-1111\n5500 0000 0000 0004"},
        {"a": "\u0664\u0661\u0661\u0661" * 4, "b": "x"},  # digits in another script
        {"nested": {"c": "4111111111111111"}, "list": ["5500000000000004", 3]},
        {},
    ],
)
def test_a_payloads_card_numbers_are_cut_as_redact_tree_cuts_them(payload):
    # protects: PCI truncation (the one search over a payload's strings finds what
    # the value-by-value walk finds, and nothing across two values)
    assert _without_cards(payload) == redact_tree(payload)


@pytest.mark.parametrize(
    "text",
    ["", "PO-12", "4111111111111111", "ref 4111-1111-1111-1111 x", "1234567890123", "x" * 40],
)
def test_a_title_or_reference_is_cut_as_clean_text_cuts_it(text):
    # protects: PCI truncation (the digit count before the search misses no card)
    assert _cut(text) == personal.clean_text(text)


def test_personal_fields_are_sealed_and_hashed_as_personal_data_says(tenant_a):
    # protects: sealing at rest (bank accounts whole, cards cut first, lookup hashes)
    engagement = live_engagement(tenant_a.client, name="Keying")
    queue = make_queue(engagement, name="Forms", work_types=["capture.document"])
    payload = {
        "document_ref": "PO-1",
        "fields_total": 3,
        "customer_name": "María José 4111 1111 1111 1111",
        "customer_national_id": "QQ123456C",
        "customer_date_of_birth": "1984-03-17",
        "customer_iban": "DE89370400440532013000",
    }
    work_type = registry.get("capture.document")
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(
            actor=None,
            queue=queue,
            rows=[{"work_type": work_type.key, "payload": payload}, {**_bare(), "payload": {}}],
            all_or_nothing=False,
        )
        item = WorkItem.objects.get(pk=done.created[0].pk)
        plain = work_type.parse(payload).model_dump(mode="json")
        expected = personal.protect(client_id=queue.client_id, work_type=work_type, payload=plain)
        assert item.subject_keys == personal.lookup_keys(
            client_id=queue.client_id, work_type=work_type, plain=plain
        )
        for name, value in expected.items():
            if crypto.is_sealed(value):
                assert crypto.is_sealed(item.payload[name])
                assert crypto.masked(item.payload[name]) == crypto.masked(value)
                assert crypto.open_sealed(item.payload[name]) == crypto.open_sealed(value)
            else:
                assert item.payload[name] == value
        assert crypto.open_sealed(item.payload["customer_name"]) == "María José [card ••••1111]"
        assert crypto.open_sealed(item.payload["customer_iban"]) == payload["customer_iban"]
        assert list(done.errors) == [1]


def _bare() -> dict:
    return {"work_type": "capture.document"}


def test_the_batch_insert_writes_what_django_writes(tenant_a):
    # protects: the insert without Django's compiler (SQLite's text for moments and
    # JSON, PostgreSQL's jsonb): saving the item again through the ORM changes no byte
    engagement = live_engagement(tenant_a.client, name="Keying", sla_targets=TARGETS)
    queue = make_queue(engagement, name="Forms", work_types=[TICKET.key, FORM.key])
    rows = [
        {
            "work_type": FORM.key,
            "payload": {"document": "é ünïcode", "fields_total": 2, "pay_date": "2027-01-04"},
            "external_ref": "X-1",
            "required_skills": {"german": 2},
            "personal_data": True,
            "language": "de",
        },
        {"work_type": TICKET.key, "payload": {"subject": "chat"}, "channel": "chat", "hold": True},
    ]
    with client_scope(clients=[tenant_a.client]):
        done = services.take_in(actor=tenant_a.client_user, queue=queue, rows=rows)
        for item in done.created:
            written = _raw(WorkItem._meta.db_table, item.pk)
            again = WorkItem.objects.get(pk=item.pk)
            again.save()
            assert _raw(WorkItem._meta.db_table, item.pk) == written
            for requirement in SkillRequirement.objects.filter(item=item):
                row = _raw(SkillRequirement._meta.db_table, requirement.pk)
                requirement.save()
                assert _raw(SkillRequirement._meta.db_table, requirement.pk) == row
        first = WorkItem.objects.get(pk=done.created[0].pk)
        assert first.payload["pay_date"] == "2027-01-04"
        assert date.fromisoformat(first.payload["pay_date"]).year == 2027
        assert (first.created_by_id, first.skill_keys) == (
            tenant_a.client_user.pk,
            ["german:2", "keying:1"],
        )
        assert done.created[0].required_skills.all()[0].item is done.created[0]
