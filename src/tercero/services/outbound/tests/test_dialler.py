"""Dialling: the next lead, dial-time compliance, signed call requests, dispositions."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tercero.delivery.work.models import WorkEvent, WorkItem
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import cti_out, dialler, dispositions
from tercero.services.outbound.models import CallAttempt, DncEntry, Lead
from tercero.services.outbound.tests.dialling import active, afternoon, second_campaign
from tercero.services.outbound.tests.world import build

LINES = json.dumps({"default": {"url": "https://pbx.example/calls", "secret": "s3cret"}})


@pytest.fixture
def world(tenant_a):
    return active(
        build(tenant_a),
        [
            {"phone": "+12125550123", "name": "Ann Archer", "postal_code": "10001"},
            {"phone": "+14155550142", "name": "Bob Baker", "postal_code": "94103"},
        ],
    )


def _scope(world):
    return client_scope(clients=[world.tenant.client])


@override_settings(OUTBOUND_CTI_LINES=LINES)
def test_a_dial_places_one_signed_call_request_and_opens_an_outbound_call_item(world):
    # given
    sent = []

    def post(url, body, headers):
        sent.append((url, body, headers))
        return 202

    # when
    with _scope(world):
        dial = dialler.dial_next(
            actor=world.manager,
            campaign=world.campaign,
            agent_id=world.manager.pk,
            now=afternoon(),
            post=post,
        )

        # then
        attempt = dial.attempt
        assert attempt.lead.status == Lead.Status.IN_CALL
        assert attempt.lead.attempts == 1
        item = WorkItem.objects.get(pk=attempt.item_id)
        assert item.work_type == "outbound.call"
        assert AuditEvent.objects.filter(action="outbound.call.placed").count() == 1
    url, body, headers = sent[0]
    assert url == "https://pbx.example/calls"
    assert cti_out.verify("s3cret", headers["Tercero-Signature"], body)
    assert not cti_out.verify("other", headers["Tercero-Signature"], body)
    request = json.loads(body)
    assert request["to"] in ("+12125550123", "+14155550142")
    assert request["call_ref"] == attempt.call_ref
    assert request["events_url"] == "/api/v1/outbound/cti/default/events"


@override_settings(OUTBOUND_CTI_LINES=LINES)
def test_a_phone_system_that_refuses_the_call_fails_the_attempt_and_frees_the_lead(world):
    with _scope(world):
        dial = dialler.dial_next(
            actor=None,
            campaign=world.campaign,
            agent_id=None,
            now=afternoon(),
            post=lambda *args: 503,
        )
        attempt = CallAttempt.objects.get(pk=dial.attempt.pk)
        assert attempt.outcome == CallAttempt.Outcome.FAILED
        assert Lead.objects.get(pk=attempt.lead_id).status == Lead.Status.CALLABLE


def test_a_number_blocked_after_loading_is_held_at_dial_time_and_the_next_lead_called(world):
    # given: Ann's number goes on the list without a rescrub (as if between two reads)
    with _scope(world):
        ann = Lead.objects.get(postal_code="10001")
        DncEntry.objects.create(client_id=ann.client_id, phone_hash=ann.phone_hash, source="manual")

        # when
        first = dialler.dial_next(
            actor=None, campaign=world.campaign, agent_id=None, now=afternoon()
        )

        # then
        ann.refresh_from_db()
        assert ann.status == Lead.Status.DNC
        assert ann.held_reason.startswith("dnc.internal")
        assert ann.next_callable_at is None
        assert first.attempt.lead.postal_code == "94103"
        assert CallAttempt.objects.filter(lead=ann).count() == 0


def test_outside_the_window_nobody_is_called_and_each_lead_says_when(world):
    # 11:00 UTC is 6 am in New York and 3 am in San Francisco
    with _scope(world):
        dial = dialler.dial_next(
            actor=None, campaign=world.campaign, agent_id=None, now=afternoon(hour_utc=11)
        )
        assert dial.attempt is None
        assert len(dial.held) == 2
        for lead in Lead.objects.all():
            assert lead.status == Lead.Status.CALLABLE
            assert "window" in lead.held_reason or "8" in lead.held_reason
            assert lead.next_callable_at > afternoon(hour_utc=11)
        assert not CallAttempt.objects.exists()


def test_an_own_callback_is_offered_first_and_only_to_its_agent(world):
    # given: Bob booked a callback for agent 77 at 19:00 UTC
    now = afternoon()
    with _scope(world):
        bob = Lead.objects.get(postal_code="94103")
        Lead.objects.filter(pk=bob.pk).update(callback_at=now, callback_agent_id=77)

        # when: agent 78 asks, then agent 77 (after 78's call is over)
        other = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=78, now=now)
        Lead.objects.filter(pk=other.attempt.lead_id).update(status=Lead.Status.DONE)
        own = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=77, now=now)

        # then
        assert other.attempt.lead_id != bob.pk
        assert own.attempt.lead_id == bob.pk


def test_do_not_call_blocks_the_number_in_every_campaign_of_the_client(world):
    # given: the same number in a second campaign of the client
    autumn = active(second_campaign(world), [{"phone": "+12125550123", "postal_code": "10001"}])
    now = afternoon()
    with _scope(world):
        dial = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=5, now=now)
        while dial.attempt.lead.postal_code != "10001":
            Lead.objects.filter(pk=dial.attempt.lead_id).update(status=Lead.Status.DONE)
            dial = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=5, now=now)

        # when
        dispositions.dispose(actor=world.manager, attempt=dial.attempt, key="do_not_call")

        # then
        again = dialler.dial_next(actor=None, campaign=autumn.campaign, agent_id=5, now=now)
        assert again.attempt is None
        assert set(
            Lead.objects.filter(phone_hash=dial.attempt.lead.phone_hash).values_list(
                "status", flat=True
            )
        ) == {Lead.Status.DNC}
        assert DncEntry.objects.filter(source="disposition").count() == 1
        blocked = WorkEvent.objects.get(kind="outbound.number.blocked")
        assert blocked.data["source"] == "disposition"


def test_a_sale_publishes_its_value_and_the_conversion(world):
    with _scope(world):
        dial = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=5, now=afternoon())
        with pytest.raises(InvalidInput, match="three-letter currency"):
            dispositions.dispose(actor=world.manager, attempt=dial.attempt, key="sale")

        dispositions.dispose(
            actor=world.manager,
            attempt=dial.attempt,
            key="sale",
            value_minor=12900,
            currency="usd",
            answers={"interested": "yes"},
        )

        sale = WorkEvent.objects.get(kind="outbound.sale.made")
        assert (sale.data["value_minor"], sale.data["currency"]) == (12900, "USD")
        converted = WorkEvent.objects.get(kind="outbound.lead.converted")
        assert converted.data["item_id"] == dial.attempt.item_id
        attempt = CallAttempt.objects.get(pk=dial.attempt.pk)
        assert attempt.answers == {"interested": "yes"}
        assert attempt.lead.status == Lead.Status.DONE
        assert WorkEvent.objects.filter(kind="outbound.call.made").count() == 1


def test_no_answer_is_recycled_after_the_campaign_s_minutes(world):
    now = afternoon()
    with _scope(world):
        dial = dialler.dial_next(actor=None, campaign=world.campaign, agent_id=5, now=now)
        before = timezone.now()
        dispositions.dispose(actor=None, attempt=dial.attempt, key="no_answer")
        lead = Lead.objects.get(pk=dial.attempt.lead_id)
        assert lead.status == Lead.Status.CALLABLE
        assert lead.next_callable_at - before >= timedelta(minutes=240)
