"""Pacing against the PBX simulator: the acceptance's simulated day for 50 agents."""

import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tercero.services.outbound import pacer
from tercero.services.outbound.compliance import packs
from tercero.services.outbound.pbx_sim import PbxSimulator, Rates, call_events, simulate_day


def _snapshot(**changes) -> pacer.Snapshot:
    values = {
        "mode": "predictive",
        "agents_free": 10,
        "agents_finishing": 0,
        "calls_in_flight": 0,
        "answer_rate": 0.25,
        "live_answers_period": 1000,
        "abandoned_period": 0,
        "cap_percent": 3.0,
    }
    values.update(changes)
    return pacer.Snapshot(**values)


def test_preview_starts_no_line_and_progressive_one_per_free_agent():
    assert pacer.lines_to_dial(_snapshot(mode="preview")).lines == 0
    progressive = pacer.lines_to_dial(_snapshot(mode="progressive", agents_free=7))
    assert (progressive.lines, progressive.reserve) == (7, True)
    with pytest.raises(ValueError, match="Unknown dialling mode"):
        pacer.lines_to_dial(_snapshot(mode="robocall"))


def test_predictive_overdials_from_the_answer_rate_and_counts_calls_in_flight():
    assert pacer.lines_to_dial(_snapshot()).lines == 40  # 10 agents / 25 % answers
    assert pacer.lines_to_dial(_snapshot(calls_in_flight=20)).lines == 20
    assert pacer.lines_to_dial(_snapshot(agents_free=0, agents_finishing=0)).lines == 0


def test_predictive_slows_down_near_the_cap_and_falls_back_to_progressive():
    full = pacer.lines_to_dial(_snapshot(agents_free=2, agents_finishing=10)).lines
    slowed = pacer.lines_to_dial(
        _snapshot(agents_free=2, agents_finishing=10, abandoned_period=20)  # 2 % of 3 %
    ).lines
    assert slowed < full
    near = pacer.lines_to_dial(_snapshot(abandoned_period=25))  # 2.5 %: 83 % of the cap
    assert (near.lines, near.reserve) == (10, True)
    assert "of the cap" in near.why


def test_the_simulator_is_seeded_and_its_rates_hold():
    first = [PbxSimulator(seed=3).place("+16025550100") for _ in range(1)]
    again = [PbxSimulator(seed=3).place("+16025550100") for _ in range(1)]
    assert first == again
    sim = PbxSimulator(seed=11, rates=Rates())
    outcomes = [sim.place("+16025550100").outcome for _ in range(20000)]
    assert abs(outcomes.count("answered") / 20000 - 0.28) < 0.02
    assert abs(outcomes.count("machine") / 20000 - 0.18) < 0.02
    assert {"busy", "no_answer", "failed"} <= set(outcomes)
    with pytest.raises(ValueError, match="Outcome shares"):
        Rates(answered=0.9, busy=0.5)


def test_call_events_move_forward_and_an_abandoned_call_has_no_talk():
    call = _answered()
    events = call_events(call, started_at=datetime(2027, 3, 1, 15, tzinfo=UTC))
    assert [event["kind"] for event in events] == ["ringing", "answered", "ended"]
    assert len({event["event_id"] for event in events}) == 3
    dropped = call_events(call, started_at=datetime(2027, 3, 1, 15, tzinfo=UTC), abandoned=True)
    assert dropped[-1]["outcome"] == "abandoned"
    assert dropped[-1]["talk_seconds"] == 0


def _answered():
    sim = PbxSimulator(seed=9)
    while True:
        call = sim.place("+16025550100")
        if call.outcome == "answered":
            return call


def test_predictive_keeps_under_the_cap_and_beats_progressive_over_a_day(capsys):
    cap = float(packs.load("us").abandon_cap.percent)
    assert Decimal(str(cap)) == Decimal("3")
    progressive = simulate_day(mode="progressive", agents=50, hours=8, cap_percent=cap)
    predictive = simulate_day(mode="predictive", agents=50, hours=8, cap_percent=cap)
    with capsys.disabled():
        for day in (progressive, predictive):
            sys.stdout.write(
                f"\n{day.mode}: 50 agents, 8 h: dials={day.dials} live={day.live_answers} "
                f"abandoned={day.abandoned} ({day.abandon_percent:.2f} % of live answers, "
                f"cap {cap:.0f} %) talk per agent={day.talk_minutes_per_agent:.1f} min\n"
            )
    assert progressive.abandoned == 0
    assert predictive.abandon_percent < cap
    assert predictive.talk_minutes_per_agent > progressive.talk_minutes_per_agent * 1.1
