"""The sampler: resolved work of an engagement with a rule becomes a Sample and a
`quality.evaluation` item in the same engagement's QA queue, once, never for the agent
who did the work; strata; the hourly top-up to the rule's minimum and precision."""

from datetime import timedelta

from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.governance.quality import sampler, sampling
from tercero.governance.quality.models import GoldItem, Sample
from tercero.governance.quality.tests.world import build, drain, resolved_document
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.tenancy.scoping import client_scope


def _samples(tenant):
    with client_scope(clients=[tenant.client]):
        return list(Sample.objects.order_by("id"))


def test_a_resolved_item_is_sampled_once_with_an_evaluation_item_not_for_its_agent(tenant_a):
    # given a rule sampling every resolved document
    world = build(tenant_a, random_share="1")
    item = resolved_document(world)
    # when the workers drain the outbox, twice
    drain()
    drain()
    # then one sample, for the keyer, and one evaluation item in the same engagement
    [sample] = _samples(tenant_a)
    assert (sample.source_item_id, sample.agent_id, sample.reason) == (
        item.pk,
        world.keyer.pk,
        "random",
    )
    with client_scope(clients=[tenant_a.client]):
        evaluation = work_selectors.items(client_ids=[tenant_a.client.pk]).get(
            pk=sample.evaluation_item_id
        )
    assert evaluation.work_type == EVALUATION_TYPE
    assert evaluation.engagement_id == world.engagement.pk
    assert evaluation.not_for_agent_id == world.keyer.pk
    assert evaluation.payload["source_item_id"] == item.pk
    assert evaluation.title == f"Evaluate item #{item.pk} (random sample)"


def test_nothing_is_sampled_without_a_rule_or_with_a_share_of_zero(tenant_a, tenant_b):
    # given a rule that samples nothing at random, and no strata
    world = build(tenant_a, random_share="0", strata=[])
    resolved_document(world)
    # when the outbox is drained
    drain()
    # then no sample
    assert _samples(tenant_a) == []


def test_the_random_draw_is_reproducible_and_near_the_share(tenant_a):
    # given a share of 20 % and 2,000 item ids
    draws = [sampler.draw(7, item_id) < 0.2 for item_id in range(1, 2001)]
    # then the draw gives the same answer again and takes about a fifth
    assert draws == [sampler.draw(7, item_id) < 0.2 for item_id in range(1, 2001)]
    assert 360 <= sum(draws) <= 440


def test_a_new_agents_work_is_sampled_as_new_agent(tenant_a):
    # given a rule with no random share, sampling agents in their first 30 days
    world = build(tenant_a, random_share="0", strata=["new_agent"])
    resolved_document(world)
    # when drained
    drain()
    # then the keyer (whose record was made today) is sampled as a new agent
    assert [s.reason for s in _samples(tenant_a)] == ["new_agent"]


def test_a_reopened_item_and_a_low_satisfaction_score_sample_it(tenant_a):
    # given a rule sampling reopened work and low CSAT only
    world = build(tenant_a, random_share="0", strata=["reopened", "low_csat"])
    first = resolved_document(world, ref="A-1")
    second = resolved_document(world, ref="A-2")
    with client_scope(clients=[tenant_a.client]):
        # when one is reopened and the other gets a CSAT of 2
        work.transition(actor=None, item=first, action="reopen", reason="customer called")
        from django.db import transaction

        with transaction.atomic():
            work.publish(
                kind="care.csat.received",
                client_id=tenant_a.client.pk,
                item=second,
                data={"survey_id": 1, "item_id": second.pk, "score": 2},
            )
    drain()
    # then each is sampled for its reason, for the agent who did the work
    found = {(s.source_item_id, s.reason, s.agent_id) for s in _samples(tenant_a)}
    assert found == {
        (first.pk, "reopened", world.keyer.pk),
        (second.pk, "low_csat", world.keyer.pk),
    }


def test_a_satisfaction_score_above_two_samples_nothing(tenant_a):
    world = build(tenant_a, random_share="0", strata=["low_csat"])
    item = resolved_document(world)
    with client_scope(clients=[tenant_a.client]):
        from django.db import transaction

        with transaction.atomic():
            work.publish(
                kind="care.csat.received",
                client_id=tenant_a.client.pk,
                item=item,
                data={"survey_id": 1, "item_id": item.pk, "score": 3},
            )
    drain()
    assert _samples(tenant_a) == []


def test_a_long_handle_time_above_the_rules_threshold_samples_it(tenant_a):
    # given a fixed threshold of one second and a document worked for longer
    world = build(tenant_a, random_share="0", strata=["long_handle"], long_handle_seconds=1)
    item = resolved_document(world)
    with client_scope(clients=[tenant_a.client]):
        rule = sampler.active_rule(engagement_id=world.engagement.pk, work_type=item.work_type)
        item.handle_seconds = 5
        # when its reason is decided
        assert rule is not None
        reason = sampler.first_reason(rule, item)
    # then it is a long handle
    assert reason == "long_handle"


def test_the_top_up_meets_the_weekly_minimum_and_the_precision_target(tenant_a):
    # given 30 documents by one keyer this week, none sampled at random, a minimum of 3
    # and a target of +/-20 % at 90 % confidence around 80 % accuracy
    world = build(
        tenant_a,
        random_share="0",
        strata=[],
        minimum_per_agent_week=3,
        target_confidence="0.90",
        target_margin="0.20",
        expected_accuracy="0.80",
    )
    for n in range(30):
        resolved_document(world, ref=f"T-{n}")
    needed = sampling.Target(confidence=0.9, margin=0.2, expected=0.8).needed(30)
    # when the hourly top-up runs, twice
    first = sampler.top_up_all(now=timezone.now() + timedelta(seconds=1))
    again = sampler.top_up_all(now=timezone.now() + timedelta(seconds=1))
    # then the keyer's samples reach the target (and the minimum), once
    found = _samples(tenant_a)
    assert first == len(found) == max(needed, 3)
    assert again == 0
    assert {s.reason for s in found} <= {"minimum", "target"}
    assert sum(1 for s in found if s.reason == "minimum") == 3


def test_gold_items_are_sampled_up_to_the_rules_share_and_name_no_agent(tenant_a):
    # given a rule with half its evaluations on gold, one resolved item sampled, and two
    # gold items
    world = build(tenant_a, random_share="1", gold_share="0.5")
    resolved_document(world, ref="S-1")
    drain()
    golds = [resolved_document(world, ref=f"G-{n}") for n in range(2)]
    with client_scope(clients=[tenant_a.client]):
        for gold in golds:
            GoldItem.objects.create(
                client=tenant_a.client,
                engagement=world.engagement,
                work_type=gold.work_type,
                source_item_id=gold.pk,
                answers={"ref": 1, "iban": 1},
            )
    # when the top-up runs
    sampler.top_up_all(now=timezone.now() + timedelta(seconds=1))
    # then both gold items are sampled (the three others are sampled for the target), for
    # no agent
    gold = [s for s in _samples(tenant_a) if s.reason == "gold"]
    assert len(gold) == 2
    assert {s.agent_id for s in gold} == {None}
