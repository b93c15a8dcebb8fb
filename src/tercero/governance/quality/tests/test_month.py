"""A generated month for two clients and 40 agents (20 keyers each, 6 documents each;
per client two QA analysts and two keyers who are analysts too): after the top-up and
the analysts pulling every evaluation through the engine, every agent reaches the
rule's precision target, no agent evaluated their own work, and no analyst got another
client's item without being granted and cleared for it."""

from collections import Counter

from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.governance.quality import evaluations, sampler, sampling, scorecards
from tercero.governance.quality import rules as quality_rules
from tercero.governance.quality.models import Evaluation, Sample
from tercero.governance.quality.tests.world import ALL_RIGHT, agent_for, definition, person
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import client_scope

KEYERS, DOCUMENTS, ANALYSTS, DOUBLING = 20, 6, 2, 2
TARGET = sampling.Target(confidence=0.90, margin=0.20, expected=0.80)


def _desk(tenant):
    engagement = live_engagement(tenant.client, name="Month keying", office="back")
    queue = make_queue(engagement, name="Forms", work_types=["capture.document"])
    keyers = [
        agent_for(engagement, person(Role.AGENT), skills={"data_entry": 2}) for _ in range(KEYERS)
    ]
    for keyer in keyers[:DOUBLING]:  # these key and evaluate
        keyer.skills = {"data_entry": 2, "quality_analysis": 2}
        keyer.save(update_fields=["skills"])
    analysts = [
        agent_for(engagement, person(Role.QA_ANALYST), skills={"quality_analysis": 2})
        for _ in range(ANALYSTS)
    ]
    with client_scope(clients=[tenant.client]):
        card = scorecards.create_scorecard(
            actor=None, engagement=engagement, work_type="capture.document", name="Month",
            kind="fields", definition=definition())  # fmt: skip
        card = scorecards.set_active(actor=None, scorecard=card, version=1, is_active=True)
        quality_rules.create_rule(
            actor=None, engagement=engagement, work_type="capture.document", scorecard=card,
            random_share="0", strata=[], minimum_per_agent_week=2,
            target_confidence="0.90", target_margin="0.20", expected_accuracy="0.80")  # fmt: skip
        _work_the_month(queue, keyers)
    return {"client": tenant.client, "keyers": keyers, "analysts": analysts + keyers[:DOUBLING]}


def _work_the_month(queue, keyers):
    rows = [
        {"work_type": "capture.document",
         "payload": {"document_ref": f"M-{k}-{n}", "fields_total": 3, "fields_keyed": 3}}
        for k in range(len(keyers)) for n in range(DOCUMENTS)
    ]  # fmt: skip
    created, _ = work.create_items(actor=None, queue=queue, rows=rows)
    for index, item in enumerate(created):
        keyer = keyers[index // DOCUMENTS]
        item = work.assign(actor=None, item=item, agent=keyer)
        item = work.transition(actor=keyer.user, item=item, action="start")
        work.transition(actor=keyer.user, item=item, action="resolve", resolution="Keyed.")


def _evaluate_everything(desk) -> list[tuple[int, int, int]]:
    """Each analyst pulls and scores until nothing is left: (analyst, item, client)."""
    pulled = []
    client_ids = [desk["client"].pk]
    for analyst in desk["analysts"]:
        while True:
            with client_scope(clients=client_ids):
                item = work.get_next(agent=analyst, client_ids=client_ids)
                if item is None:
                    break
                pulled.append((analyst.pk, item.pk, item.client_id))
                evaluations.submit(
                    actor=analyst.user, client_ids=client_ids, item_id=item.pk, scores=ALL_RIGHT
                )
    return pulled


def test_a_generated_month_reaches_every_agents_target_without_own_or_foreign_work(
    tenant_a, tenant_b
):
    desks = [_desk(tenant_a), _desk(tenant_b)]
    # when the hourly top-up runs and the analysts work their queues
    assert sampler.top_up_all(now=timezone.now()) > 0
    pulled = [_evaluate_everything(desk) for desk in desks]
    needed = TARGET.needed(DOCUMENTS)
    for desk, claims in zip(desks, pulled, strict=True):
        with client_scope(clients=[desk["client"]]):
            found = list(Evaluation.objects.select_related("evaluator"))
            left = Sample.objects.filter(evaluation_item_id__isnull=False).count() - len(found)
        # then every sample was evaluated, and every keyer reached the target
        assert left == 0
        per_agent = Counter(e.agent_id for e in found)
        assert {k.pk: per_agent[k.pk] >= max(needed, 2) for k in desk["keyers"]} == {
            k.pk: True for k in desk["keyers"]
        }
        # no agent evaluated their own work
        assert [e.pk for e in found if e.evaluator.agent_profile.pk == e.agent_id] == []
        # every item an analyst got was their client's evaluation item
        assert {client_id for _, _, client_id in claims} == {desk["client"].pk}
    # and the analysts of one client never got the other's work
    a_analysts = {a.pk for a in desks[0]["analysts"]}
    assert not [claim for claim in pulled[1] if claim[0] in a_analysts]
    assert len(pulled[0]) == len(pulled[1]) >= KEYERS * needed


def test_an_analyst_without_a_clearance_never_gets_the_other_clients_evaluations(
    tenant_a, tenant_b
):
    # given B's keying desk with a sample waiting, and an analyst of A only (granted and
    # cleared for A's engagement), who asks for work with both clients in view
    desk = _desk_small(tenant_b)
    a_engagement = live_engagement(tenant_a.client, name="A keying")
    analyst = agent_for(a_engagement, person(Role.QA_ANALYST), skills={"quality_analysis": 3})
    ids = sorted([tenant_a.client.pk, tenant_b.client.pk])
    with client_scope(clients=ids):
        got = work.get_next(agent=analyst, client_ids=ids)
    # then nothing: B's evaluation waits for B's analysts
    assert got is None
    with client_scope(clients=[tenant_b.client]):
        waiting = work.get_next(agent=desk, client_ids=[tenant_b.client.pk])
    assert waiting is not None
    assert waiting.work_type == EVALUATION_TYPE


def _desk_small(tenant):
    from tercero.governance.quality.tests.world import build, drain, resolved_document

    world = build(tenant)
    resolved_document(world)
    drain()
    return world.analyst
