"""Calibration sessions: analysts score the same items blind; on close, Krippendorff's
alpha, Fleiss' kappa, percent agreement and each analyst's alignment with the reference,
checked by hand and against the maintained libraries; calibration never counts in
agents' figures."""

from typing import Any

import krippendorff
import numpy as np
import pytest
from django.test import Client as Browser
from django.utils import timezone
from statsmodels.stats import inter_rater  # type: ignore[import-untyped]

from tercero.delivery.work import services as work
from tercero.governance.quality import calibration, reports, scorecards
from tercero.governance.quality.models import CalibrationSession, Evaluation
from tercero.governance.quality.tests.world import agent_for, build, person
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

# three analysts (the first the reference) x three items; criteria ref, name, iban (yes/no,
# weights 1, 1, 2) and care (1 to 5, weight 1); None is N/A
MARKS: dict[int, list[dict[str, Any]]] = {
    0: [
        {"ref": 1, "name": 1, "iban": 1, "care": 5},
        {"ref": 1, "name": 1, "iban": 0, "care": 3},
        {"ref": 1, "name": None, "iban": 1, "care": 4},
    ],
    1: [
        {"ref": 1, "name": 1, "iban": 1, "care": 5},
        {"ref": 1, "name": 0, "iban": 0, "care": 3},
        {"ref": 1, "name": None, "iban": 1, "care": 2},
    ],
    2: [
        {"ref": 1, "name": 1, "iban": 1, "care": 4},
        {"ref": 1, "name": 1, "iban": 0, "care": 3},
        {"ref": 0, "name": None, "iban": 1, "care": 4},
    ],
}


@pytest.fixture
def world(tenant_a):
    return build(tenant_a, random_share="0")


@pytest.fixture
def analysts(world):
    others = [
        agent_for(world.engagement, person(Role.QA_ANALYST), skills={"quality_analysis": 1}).user
        for _ in range(2)
    ]
    return [world.analyst.user, *others]


@pytest.fixture
def items(world):
    with client_scope(clients=[world.tenant.client]):
        return [
            work.create_item(
                actor=None, queue=world.queue, work_type="capture.document",
                payload={"document_ref": f"CAL-{n}", "fields_total": 3}).pk
            for n in range(3)
        ]  # fmt: skip


def _version(world):
    with client_scope(clients=[world.tenant.client]):
        return world.scorecard.versions.get(number=1)


def _session(world, analysts, items, **fields):
    version = _version(world)
    with client_scope(clients=[world.tenant.client]):
        return calibration.create_session(
            actor=world.tenant.team_lead,
            scorecard_version=version,
            name=fields.pop("name", "November calibration"),
            source_item_ids=fields.pop("source_item_ids", items),
            analyst_ids=fields.pop("analyst_ids", [a.pk for a in analysts]),
            reference_analyst_id=fields.pop("reference_analyst_id", analysts[0].pk),
        )


def _score_all(world, session, analysts, items):
    with client_scope(clients=[world.tenant.client]):
        for index, analyst in enumerate(analysts):
            for item, marks in zip(items, MARKS[index], strict=True):
                calibration.submit_scores(
                    actor=analyst, session=session, source_item_id=item, scores=marks
                )


def _closed(world, session):
    with client_scope(clients=[world.tenant.client]):
        return calibration.close_session(
            actor=world.tenant.team_lead, session=session, version=session.version
        )


def test_scores_are_blind_until_the_session_closes(world, analysts, items):
    # given
    session = _session(world, analysts, items)
    _score_all(world, session, analysts, items)
    # when each looks while the session is open, and after it closes
    with client_scope(clients=[world.tenant.client]):
        while_open = {
            a.pk: {s.analyst_id for s in calibration.visible_scores(session=session, user=a)}
            for a in analysts
        }
        lead_sees = calibration.visible_scores(session=session, user=world.tenant.team_lead)
        progress = calibration.progress(session=session)
    closed = _closed(world, session)
    with client_scope(clients=[world.tenant.client]):
        after = calibration.visible_scores(session=closed, user=analysts[1])
    # then only their own while open; counts but no marks for the lead; all once closed
    assert while_open == {a.pk: {a.pk} for a in analysts}
    assert lead_sees == []
    assert progress == {a.pk: 3 for a in analysts}
    assert len(after) == 9


def test_closing_computes_alpha_kappa_agreement_and_alignment(world, analysts, items):
    # given
    session = _session(world, analysts, items)
    _score_all(world, session, analysts, items)
    # when
    results = _closed(world, session).results
    # then per criterion, as the libraries compute them
    by_key = {c["key"]: c for c in results["criteria"]}
    ref = [[MARKS[a][i]["ref"] for i in range(3)] for a in range(3)]
    assert by_key["ref"]["level"] == "nominal"
    assert by_key["ref"]["alpha"] == pytest.approx(
        krippendorff.alpha(
            reliability_data=np.array(ref, dtype=float), level_of_measurement="nominal"
        ),
        abs=1e-4,
    )
    table, _ = inter_rater.aggregate_raters(np.array(ref).T)
    assert by_key["ref"]["kappa"] == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-4)
    care = [[MARKS[a][i]["care"] for i in range(3)] for a in range(3)]
    assert by_key["care"]["level"] == "ordinal"
    assert by_key["care"]["alpha"] == pytest.approx(
        krippendorff.alpha(
            reliability_data=np.array(care, dtype=float), level_of_measurement="ordinal"
        ),
        abs=1e-4,
    )
    # by hand: ref agrees fully on two items, one pair of three on the third
    assert by_key["ref"]["percent_agreement"] == 77.8
    assert by_key["name"]["kappa"] is None  # N/A on the third item: not every rating given
    assert by_key["name"]["percent_agreement"] == 66.7
    # overall alpha: of the evaluations' scores, interval
    overall = [
        [float(scorecards.score(_version(world).definition, m).percent) for m in MARKS[a]]
        for a in range(3)
    ]
    assert results["overall"]["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=np.array(overall), level_of_measurement="interval"),
        abs=1e-4,
    )
    # alignment with the reference, by hand: (1 + 0.8 + 0.875) / 3 and (0.95 + 1 + 0.75) / 3
    alignment = {row["analyst_id"]: row for row in results["analysts"]}
    assert alignment[analysts[0].pk]["alignment"] == 100.0
    assert alignment[analysts[1].pk]["alignment"] == 89.2
    assert alignment[analysts[2].pk]["alignment"] == 90.0
    assert alignment[analysts[1].pk]["criteria"]["care"] == 83.3


def test_calibration_never_counts_in_agents_figures(world, analysts, items):
    # given a closed session
    session = _session(world, analysts, items)
    _score_all(world, session, analysts, items)
    _closed(world, session)
    # then no evaluation exists, and the month's report counts nothing
    today = timezone.now().date()
    with client_scope(clients=[world.tenant.client]):
        overall = reports.report(
            reports.Filters(client_ids=[world.tenant.client.pk], first=today, last=today)
        ).overall
        assert Evaluation.objects.count() == 0
    assert overall.evaluations == 0


def test_a_closed_session_takes_no_more_scores_and_closes_once(world, analysts, items):
    session = _session(world, analysts, items)
    _score_all(world, session, analysts, items)
    closed = _closed(world, session)
    with client_scope(clients=[world.tenant.client]):
        with pytest.raises(Conflict):
            calibration.submit_scores(
                actor=analysts[0], session=closed, source_item_id=items[0], scores=MARKS[0][0]
            )
        with pytest.raises(Conflict):
            calibration.close_session(
                actor=world.tenant.team_lead, session=closed, version=closed.version
            )
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="quality.calibration.closed").count() == 1
        assert AuditEvent.objects.filter(action="quality.calibration.scored").count() == 9


def test_only_the_sessions_analysts_score_and_only_its_items(world, analysts, items):
    session = _session(world, analysts[:2], items)
    with client_scope(clients=[world.tenant.client]):
        with pytest.raises(PermissionDenied):
            calibration.submit_scores(
                actor=analysts[2], session=session, source_item_id=items[0], scores=MARKS[0][0]
            )
        with pytest.raises(InvalidInput) as outside:
            calibration.submit_scores(
                actor=analysts[0], session=session, source_item_id=10**9, scores=MARKS[0][0]
            )
        with pytest.raises(InvalidInput) as bad_scores:
            calibration.submit_scores(
                actor=analysts[0], session=session, source_item_id=items[0], scores={"ref": 7}
            )
    assert "source_item_id" in outside.value.fields
    assert "scores.ref" in bad_scores.value.fields


def test_a_session_needs_two_analysts_who_may_evaluate_and_a_reference_among_them(
    world, analysts, items, tenant_a
):
    with pytest.raises(InvalidInput) as alone:
        _session(world, analysts[:1], items)
    with pytest.raises(InvalidInput) as client_user:
        _session(world, analysts, items, analyst_ids=[analysts[0].pk, tenant_a.client_user.pk])
    with pytest.raises(InvalidInput) as reference:
        _session(world, analysts[:2], items, reference_analyst_id=analysts[2].pk)
    with pytest.raises(InvalidInput) as foreign_item:
        _session(world, analysts, items, source_item_ids=[items[0], 10**9])
    assert "analyst_ids" in alone.value.fields
    assert "analyst_ids" in client_user.value.fields
    assert "reference_analyst_id" in reference.value.fields
    assert "source_item_ids" in foreign_item.value.fields
    with all_clients_scope():
        assert CalibrationSession.objects.count() == 0


def test_the_api_runs_a_session_blind_then_shows_its_figures(world, analysts, items):
    # given a delivery manager of the client and the analysts signed in
    manager = person(Role.DELIVERY_MANAGER)
    with all_clients_scope():
        manager.grants.create(client=world.tenant.client, reason="test")
    lead, first, second = Browser(), Browser(), Browser()
    lead.force_login(manager)
    first.force_login(analysts[0])
    second.force_login(analysts[1])
    version_id = _version(world).pk
    made = lead.post(
        "/api/v1/quality/calibration-sessions",
        {"scorecard_version_id": version_id, "name": "API calibration", "source_item_ids": items,
         "analyst_ids": [analysts[0].pk, analysts[1].pk], "reference_analyst_id": analysts[0].pk},
        content_type="application/json",
    )  # fmt: skip
    session_id = made.json()["id"]
    url = f"/api/v1/quality/calibration-sessions/{session_id}"
    # when each analyst scores the first item
    for browser, index in ((first, 0), (second, 1)):
        answer = browser.post(
            f"{url}/scores",
            {"source_item_id": items[0], "scores": MARKS[index][0]},
            content_type="application/json",
        )
        assert answer.status_code == 201
    open_view = second.get(url).json()
    closed = lead.post(f"{url}/close", {"version": 1}, content_type="application/json")
    # then blind while open, every score and the figures once closed
    assert made.status_code == 201
    assert [s["analyst_id"] for s in open_view["scores"]] == [analysts[1].pk]
    assert open_view["results"] is None
    assert closed.status_code == 200
    assert len(closed.json()["scores"]) == 2
    assert closed.json()["results"]["scored"] == 2


def test_the_pages_let_an_analyst_score_blind_and_show_the_figures_once_closed(
    world, analysts, items
):
    # given a session of two analysts and a manager
    session = _session(world, analysts[:2], items[:1])
    manager = person(Role.DELIVERY_MANAGER)
    with all_clients_scope():
        manager.grants.create(client=world.tenant.client, reason="test")
    first, second, lead = Browser(), Browser(), Browser()
    first.force_login(analysts[0])
    second.force_login(analysts[1])
    lead.force_login(manager)
    url = f"/quality/calibration/{session.pk}/"
    # when both score the item through the form
    for browser, index in ((first, 0), (second, 1)):
        marks = MARKS[index][0]
        browser.post(
            f"{url}scores/",
            {
                "item": items[0],
                **{f"score-{k}": ("na" if v is None else v) for k, v in marks.items()},
            },
        )
    while_open = second.get(url).content.decode()
    lead.post(f"{url}close/", {"version": session.version})
    closed = lead.get(url).content.decode()
    # then
    assert "Scored" in while_open
    assert "Agreement" not in while_open
    assert "Alignment with the reference analyst" in closed
    assert "100.0 %" in closed  # the reference agrees with itself
