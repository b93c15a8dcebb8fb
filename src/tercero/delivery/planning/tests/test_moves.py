"""Moving agents between clients' queues, worked by hand: 100 calls in 30 minutes of 180
seconds is 10 Erlangs, and Erlang C's textbook figures for 80 % in 20 seconds are
12 agents 64.0 %, 13 agents 79.6 %, 14 agents 88.8 %, 15 agents 94.2 %, 16 agents 97.1 %
(checked below against the formula written with factorials)."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tercero.delivery.planning import moves

TEXTBOOK = {12: 0.6402, 13: 0.7956, 14: 0.8884, 15: 0.9415, 16: 0.9706}


def _slot(agents_on: int, agents_needed: int, calls: float = 100) -> moves.Slot:
    return moves.Slot(
        calls=calls,
        aht_seconds=180,
        minutes=30,
        answer_seconds=20,
        agents_on=agents_on,
        agents_needed=agents_needed,
    )


def _by_factorials(agents: int, load: float) -> float:
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    wait = top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)
    return 1 - wait * math.exp(-(agents - load) * 20 / 180)


@pytest.mark.parametrize("agents", sorted(TEXTBOOK))
def test_the_textbook_figures_are_erlang_cs(agents):
    assert _by_factorials(agents, 10) == pytest.approx(TEXTBOOK[agents], abs=5e-5)
    assert _slot(agents, 14).service_level(agents) == pytest.approx(TEXTBOOK[agents], abs=5e-5)


def test_fourteen_agents_on_the_work_answer_80_percent_in_20_seconds():
    needed = moves.agents_needed(
        calls=100, aht_seconds=180, minutes=30, target=0.8, answer_seconds=20
    )
    assert needed == 14
    assert (
        moves.agents_needed(calls=0, aht_seconds=180, minutes=30, target=0.8, answer_seconds=20)
        == 0
    )


def test_two_spare_agents_move_to_a_queue_two_short():
    # given 16 agents where 14 are needed, and 12 where 14 are needed, 5 cleared for both
    effect = moves.move_effect(_slot(16, 14), _slot(12, 14), movable=5)
    # then 2 move: 64 % -> 89 % where they go, 97 % -> 89 % where they leave
    assert effect is not None
    assert effect.agents == 2
    assert effect.target_before == pytest.approx(TEXTBOOK[12], abs=5e-5)
    assert effect.target_after == pytest.approx(TEXTBOOK[14], abs=5e-5)
    assert effect.source_before == pytest.approx(TEXTBOOK[16], abs=5e-5)
    assert effect.source_after == pytest.approx(TEXTBOOK[14], abs=5e-5)


def test_only_agents_cleared_for_both_can_move():
    effect = moves.move_effect(_slot(16, 14), _slot(12, 14), movable=1)
    assert effect is not None
    assert effect.agents == 1
    assert (round(100 * effect.target_after), round(100 * effect.source_after)) == (80, 94)
    assert moves.move_effect(_slot(16, 14), _slot(12, 14), movable=0) is None


def test_nothing_moves_when_neither_side_is_short_or_none_is_spare():
    assert moves.move_effect(_slot(14, 14), _slot(12, 14), movable=5) is None
    assert moves.move_effect(_slot(16, 14), _slot(14, 14), movable=5) is None


def _lane(key: int, name: str, client: str, starts, slots) -> moves.Lane:
    return moves.Lane(key=key, name=name, client=client, starts=tuple(starts), slots=tuple(slots))


def test_the_same_move_in_consecutive_intervals_is_said_once_in_plain_words():
    # given Northwind's orders 2 spare and Rheinwerk's support 2 short from 14:00 to 15:00
    zone = ZoneInfo("Europe/London")
    first = datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    starts = [first, first + timedelta(minutes=30)]
    orders = _lane(1, "Orders", "Northwind", starts, [_slot(16, 14)] * 2)
    support = _lane(2, "Support", "Rheinwerk", starts, [_slot(12, 14)] * 2)
    # when moves are planned from the orders queue's page
    found = moves.plan_moves(orders, [support], movable={(1, 2): 3, (2, 1): 0})
    # then one move over the hour, said as a lead would read it
    assert len(found) == 1
    assert found[0].words(zone) == (
        "Move 2 agents from Orders (Northwind) to Support (Rheinwerk) 14:00-15:00: "
        "service level 64 % -> 89 % on Support, 97 % -> 89 % on Orders."
    )


def test_spans_with_more_calls_weigh_more_in_the_span_service_level():
    first = datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    starts = [first, first + timedelta(minutes=30)]
    # a half hour without calls (everyone answered: 100 %) then a busy one, both moving 2
    quiet, busy, short = _slot(16, 14, calls=0), _slot(16, 14), _slot(12, 14)
    orders = _lane(1, "Orders", "Northwind", starts, [quiet, busy])
    support = _lane(2, "Support", "Rheinwerk", starts, [short, short])
    found = moves.plan_moves(orders, [support], movable={(1, 2): 2})
    (move,) = found
    # the quiet half hour weighs nothing: the span's figure is the busy one's
    assert move.source_before == pytest.approx(TEXTBOOK[16], abs=5e-5)
    assert move.source_after == pytest.approx(TEXTBOOK[14], abs=5e-5)
    assert move.end - move.start == timedelta(hours=1)


def test_a_queue_short_here_takes_agents_from_a_partner_with_spare_ones():
    first = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    here = _lane(1, "Orders", "Northwind", [first], [_slot(13, 14)])
    spare = _lane(2, "Support", "Rheinwerk", [first], [_slot(15, 14)])
    (move,) = moves.plan_moves(here, [spare], movable={(2, 1): 4, (1, 2): 4})
    assert (move.source.name, move.target.name, move.agents) == ("Support", "Orders", 1)
    assert round(100 * move.target_before) == 80
    assert round(100 * move.target_after) == 89


def test_spare_agents_here_are_given_once_to_the_queue_most_short_first():
    first = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    here = _lane(1, "Orders", "Northwind", [first], [_slot(16, 14)])  # 2 spare
    little = _lane(2, "Billing", "Rheinwerk", [first], [_slot(13, 14)])  # 1 short
    much = _lane(3, "Support", "Oakfield", [first], [_slot(12, 14)])  # 2 short
    found = moves.plan_moves(here, [little, much], movable={(1, 2): 5, (1, 3): 5})
    assert [(m.target.name, m.agents) for m in found] == [("Support", 2)]
