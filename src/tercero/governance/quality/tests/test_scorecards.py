"""Scorecards: the definition checked at the door (422 naming the field), versions, and
the scoring rule with worked examples and properties (bounds, N/A ignored, critical
failure scores 0, monotone in each criterion)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.delivery.work.tests.conftest import live_engagement
from tercero.governance.quality import scorecards
from tercero.governance.quality.models import ScorecardVersion
from tercero.governance.quality.tests.world import definition
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope

CARD = {
    "sections": [
        {
            "title": "Call",
            "criteria": [
                {
                    "key": "greet",
                    "label": "Greeting",
                    "weight": 1,
                    "scale": "yes_no",
                    "allows_na": True,
                },
                {"key": "solve", "label": "Solved", "weight": 3, "scale": "one_to_five"},
                {"key": "notes", "label": "Notes", "weight": 2, "scale": "points", "max_points": 4},
                {
                    "key": "verify",
                    "label": "Verified identity",
                    "weight": 1,
                    "scale": "yes_no",
                    "critical": True,
                },
                {
                    "key": "extra",
                    "label": "Went further",
                    "weight": 5,
                    "scale": "yes_no",
                    "bonus": True,
                },
            ],
        }
    ]
}


def test_worked_examples_of_the_score():
    # all best: (1 + 3 + 2 + 1) / 7 = 100, bonus capped
    best = {"greet": 1, "solve": 5, "notes": 4, "verify": 1, "extra": 1}
    assert tuple(scorecards.score(CARD, best)) == (Decimal("100.00"), False, 0, 0)
    # greeting N/A, solved 3 of 5 (0.5), notes 2 of 4 (0.5), verified: (1.5 + 1 + 1) / 6
    middle = {"greet": None, "solve": 3, "notes": 2, "verify": 1, "extra": 0}
    assert scorecards.score(CARD, middle).percent == Decimal("58.33")
    # the same with the bonus: + 5 points
    assert scorecards.score(CARD, {**middle, "extra": 1}).percent == Decimal("63.33")
    # identity not verified: 0 whatever else
    assert tuple(scorecards.score(CARD, {**best, "verify": 0}))[:2] == (Decimal("0.00"), True)


def test_fields_are_counted_right_and_wrong():
    found = scorecards.score(definition(), {"ref": 1, "name": 0, "iban": 1, "care": None})
    assert (found.fields_total, found.fields_right) == (3, 2)


def _value(criterion):
    if criterion["scale"] == "yes_no":
        return st.sampled_from([0, 1])
    if criterion["scale"] == "one_to_five":
        return st.integers(1, 5)
    return st.integers(0, criterion["max_points"])


def _scores():
    criteria = scorecards.criteria_of(CARD)
    return st.fixed_dictionaries(
        {c["key"]: (_value(c) | st.none()) if c.get("allows_na") else _value(c) for c in criteria}
    )


@settings(deadline=None)  # pure arithmetic; a loaded machine must not fail it
@given(_scores())
def test_the_score_stays_between_0_and_100(scores):
    assert Decimal(0) <= scorecards.score(CARD, scores).percent <= Decimal(100)


@settings(deadline=None)  # pure arithmetic; a loaded machine must not fail it
@given(_scores())
def test_a_failed_critical_criterion_scores_0(scores):
    failed = scorecards.score(CARD, {**scores, "verify": 0})
    assert (failed.percent, failed.critical_failed) == (Decimal("0.00"), True)


@settings(deadline=None)  # pure arithmetic; a loaded machine must not fail it
@given(_scores())
def test_a_criterion_marked_na_is_left_out_of_the_mean(scores):
    # N/A greeting scores as if the greeting were not on the card
    without = {"sections": [{"title": "Call", "criteria": scorecards.criteria_of(CARD)[1:]}]}
    rest = {k: v for k, v in scores.items() if k != "greet"}
    assert scorecards.score(CARD, {**rest, "greet": None}) == scorecards.score(without, rest)


@settings(deadline=None)  # pure arithmetic; a loaded machine must not fail it
@given(_scores(), st.sampled_from(["greet", "solve", "notes", "verify", "extra"]))
def test_the_score_never_falls_when_a_criterion_rises(scores, key):
    criterion = next(c for c in scorecards.criteria_of(CARD) if c["key"] == key)
    top = {"yes_no": 1, "one_to_five": 5, "points": criterion.get("max_points")}[criterion["scale"]]
    value = scores[key]
    if value is None or value >= top:
        return
    assert (
        scorecards.score(CARD, {**scores, key: value + 1}).percent
        >= scorecards.score(CARD, scores).percent
    )


@pytest.fixture
def engagement(tenant_a):
    found = live_engagement(tenant_a.client, name="Calls")
    with client_scope(clients=[tenant_a.client]):
        yield found


def _create(engagement, card, kind="conversation", work_type="capture.document"):
    return scorecards.create_scorecard(
        actor=None,
        engagement=engagement,
        work_type=work_type,
        name="Calls",
        kind=kind,
        definition=card,
    )


def test_a_bad_definition_is_refused_naming_each_field(engagement):
    bad = {
        "sections": [
            {
                "title": "A",
                "criteria": [
                    {"key": "x", "label": "X", "weight": 0, "scale": "yes_no"},
                    {"key": "x", "label": "", "weight": 1, "scale": "stars"},
                    {"key": "p", "label": "P", "weight": 1, "scale": "points"},
                    {"key": "f", "label": "F", "weight": 1, "scale": "yes_no", "field": "nope"},
                ],
            }
        ]
    }
    with pytest.raises(InvalidInput) as refused:
        _create(engagement, bad, kind="fields")
    assert refused.value.fields == {
        "definition.sections[0].criteria[0].weight": "a number above 0",
        "definition.sections[0].criteria[1].key": "'x' is used twice; keys must be unique",
        "definition.sections[0].criteria[1].label": "required",
        "definition.sections[0].criteria[1].scale": "yes_no, one_to_five or points",
        "definition.sections[0].criteria[2].max_points": (
            "a whole number of at least 1 for a points scale"
        ),
        "definition.sections[0].criteria[3].field": refused.value.fields[
            "definition.sections[0].criteria[3].field"
        ],
    }
    assert refused.value.fields["definition.sections[0].criteria[3].field"].startswith(
        "not a field of this work type (customer_date_of_birth"
    )


def test_a_scorecard_needs_a_criterion_that_is_not_a_bonus(engagement):
    only_bonus = {
        "sections": [
            {
                "title": "A",
                "criteria": [
                    {"key": "b", "label": "B", "weight": 1, "scale": "yes_no", "bonus": True}
                ],
            }
        ]
    }
    with pytest.raises(InvalidInput) as refused:
        _create(engagement, only_bonus)
    assert refused.value.fields == {
        "definition.sections": "at least one criterion that is not a bonus"
    }


def test_editing_makes_a_new_version_and_the_old_one_stays(engagement):
    card = _create(engagement, CARD)
    revised = scorecards.revise_scorecard(
        actor=None, scorecard=card, version=card.version, definition=definition() and CARD
    )
    card.refresh_from_db()
    assert (card.current_version, revised.number) == (2, 2)
    assert list(
        ScorecardVersion.objects.filter(scorecard=card).values_list("number", flat=True)
    ) == [1, 2]
    with pytest.raises(Conflict):  # a stale edit
        scorecards.revise_scorecard(actor=None, scorecard=card, version=1, definition=CARD)
