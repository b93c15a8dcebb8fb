"""A seeded stand-in for real telephony: what happens when an outbound call is placed.

`PbxSimulator.place(number)` draws one call's fate from seeded rates -- answered by a
person, busy, no answer, an answering machine, a failed line -- with its ring time and,
when a person answers, how long they talk (or that they hang up at once). The same seed
gives the same calls, so tests, the bench and the demo are repeatable.

Loopback mode (`Loopback`) turns a call into the CTI events a real PBX would send
(`ringing`, `answered`, `ended`, each with its own event id) and posts them, signed
exactly as `cti_out.sign` does, to our outbound CTI endpoint (see cti_in.py).

`simulate_day` runs a whole dialling day of N agents against the simulator with a pacing
mode from pacer.py; it measures what the acceptance asks: abandon rate against the cap and
talk time per agent.
"""

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tercero.services.outbound import pacer

OUTCOMES = ("answered", "busy", "no_answer", "machine", "failed")
ABANDON_AFTER_SECONDS = 2.0  # a person answered and no agent was free within 2 s


@dataclass(frozen=True)
class Rates:
    """Shares of outcomes (they need not sum to one: the remainder is `failed`) and the
    timing distributions, in seconds."""

    answered: float = 0.28
    busy: float = 0.08
    no_answer: float = 0.44
    machine: float = 0.18
    ring_mean: float = 14.0  # time to answer (person or machine): lognormal mean
    no_answer_after: float = 30.0  # the PBX gives up ringing
    busy_after: float = 3.0
    talk_mean: float = 110.0  # lognormal mean talk time of a person who stays
    talk_sigma: float = 0.7
    hang_up_share: float = 0.05  # people who answer and hang up within seconds
    wrap_mean: float = 20.0

    def __post_init__(self) -> None:
        shares = (self.answered, self.busy, self.no_answer, self.machine)
        if any(share < 0 for share in shares) or sum(shares) > 1.0 + 1e-9:
            raise ValueError("Outcome shares must be between 0 and 1 and sum to at most 1.")


@dataclass(frozen=True)
class SimCall:
    call_id: str
    number: str
    outcome: str  # one of OUTCOMES
    ring_seconds: float  # until answer, busy tone, or giving up
    talk_seconds: float  # a person's talk time when answered (0 otherwise)


class PbxSimulator:
    def __init__(self, *, seed: int = 1, rates: Rates | None = None) -> None:
        self.rates = rates or Rates()
        self.random = random.Random(seed)
        self.placed = 0

    def place(self, number: str) -> SimCall:
        rates, draw = self.rates, self.random.random()
        self.placed += 1
        call_id = f"sim-{self.placed}"
        if draw < rates.answered:
            ring = self._lognormal(rates.ring_mean, 0.5)
            if self.random.random() < rates.hang_up_share:
                talk = self.random.uniform(1.0, 8.0)  # the called person hangs up
            else:
                talk = self._lognormal(rates.talk_mean, rates.talk_sigma)
            return SimCall(call_id, number, "answered", ring, talk)
        draw -= rates.answered
        if draw < rates.busy:
            return SimCall(call_id, number, "busy", rates.busy_after, 0.0)
        draw -= rates.busy
        if draw < rates.no_answer:
            return SimCall(call_id, number, "no_answer", rates.no_answer_after, 0.0)
        draw -= rates.no_answer
        if draw < rates.machine:
            return SimCall(call_id, number, "machine", self._lognormal(rates.ring_mean, 0.5), 0.0)
        return SimCall(call_id, number, "failed", 1.0, 0.0)

    def wrap_seconds(self) -> float:
        return self._lognormal(self.rates.wrap_mean, 0.4)

    def _lognormal(self, mean: float, sigma: float) -> float:
        mu = math.log(mean) - sigma * sigma / 2  # so that the mean is `mean`
        return self.random.lognormvariate(mu, sigma)


def call_events(call: SimCall, *, started_at: datetime, abandoned: bool = False) -> list[dict]:
    """The CTI events a PBX sends for this call, in order (see cti_in.py for the format)."""
    ring_end = started_at + timedelta(seconds=call.ring_seconds)
    base = {"call_id": call.call_id, "to": call.number, "direction": "outbound"}
    events = [{**base, "event_id": f"{call.call_id}-1", "kind": "ringing", "at": _z(started_at)}]
    if call.outcome in ("answered", "machine"):
        events.append(
            {
                **base,
                "event_id": f"{call.call_id}-2",
                "kind": "answered",
                "at": _z(ring_end),
                "answered_by": "person" if call.outcome == "answered" else "machine",
            }
        )
    talk = 0.0 if abandoned or call.outcome != "answered" else call.talk_seconds
    outcome = "abandoned" if abandoned else call.outcome
    events.append(
        {
            **base,
            "event_id": f"{call.call_id}-3",
            "kind": "ended",
            "at": _z(ring_end + timedelta(seconds=talk)),
            "outcome": outcome,
            "talk_seconds": round(talk),
        }
    )
    return events


Poster = Callable[[str, bytes, dict[str, str]], int]


@dataclass
class Loopback:
    """Posts a call's events to our outbound CTI endpoint like a real PBX, signed with the
    endpoint's secret. `post(url, body, headers) -> status` is the transport (the test
    client in tests, an HTTP client in the demo)."""

    url: str
    secret: str
    post: Poster
    statuses: list[int] = field(default_factory=list)

    def deliver(self, events: list[dict], *, now: int | None = None) -> list[int]:
        from tercero.services.outbound.cti_out import sign

        sent = []
        for event in events:
            body = json.dumps(event, separators=(",", ":")).encode()
            headers = {"Tercero-Signature": sign(self.secret, body, timestamp=now)}
            sent.append(self.post(self.url, body, headers))
        self.statuses.extend(sent)
        return sent


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- a simulated dialling day -------------------------------------------------------------


@dataclass
class DayResult:
    mode: str
    agents: int
    dials: int
    live_answers: int
    abandoned: int
    talk_seconds: float

    @property
    def abandon_percent(self) -> float:
        return 100.0 * self.abandoned / self.live_answers if self.live_answers else 0.0

    @property
    def talk_minutes_per_agent(self) -> float:
        return self.talk_seconds / 60.0 / self.agents


def simulate_day(
    *,
    mode: str,
    agents: int = 50,
    hours: float = 8.0,
    seed: int = 7,
    cap_percent: float = 3.0,
    rates: Rates | None = None,
) -> DayResult:
    """One dialling day, second by second: the pacer decides how many lines to start,
    the simulator decides each call's fate, a person answered with no agent free within
    2 s is abandoned (the called person hears silence and the call is dropped)."""
    day = _Day(mode, agents, PbxSimulator(seed=seed, rates=rates), cap_percent)
    now = 0.0
    while now < hours * 3600.0:
        day.end_ringing(now)
        day.serve_waiting(now)
        day.dial(now)
        now += 1.0
    return day.result


class _Day:
    def __init__(self, mode: str, agents: int, sim: PbxSimulator, cap_percent: float) -> None:
        self.sim, self.cap_percent = sim, cap_percent
        self.free_at = [0.0] * agents  # the second each agent is next free
        self.ringing: list[tuple[float, SimCall, int | None]] = []  # ends, call, agent
        self.waiting: list[tuple[float, SimCall]] = []  # a person answered, no agent yet
        self.recent = pacer.Recent()
        self.result = DayResult(mode, agents, 0, 0, 0, 0.0)

    def end_ringing(self, now: float) -> None:
        still = []
        for ends, call, reserved in self.ringing:
            if ends > now:
                still.append((ends, call, reserved))
                continue
            self.recent.dialled(answered=call.outcome == "answered")
            if call.outcome == "answered":
                self.result.live_answers += 1
                if reserved is not None:
                    self.connect(reserved, now, call)
                else:
                    self.waiting.append((now, call))
            elif reserved is not None:
                self.free_at[reserved] = now  # the agent is free again
        self.ringing = still

    def serve_waiting(self, now: float) -> None:
        still = []
        for answered_at, call in self.waiting:
            agent = next((a for a, at in enumerate(self.free_at) if at <= now), None)
            if agent is not None:
                self.connect(agent, now, call)
            elif now - answered_at >= ABANDON_AFTER_SECONDS:
                self.result.abandoned += 1
            else:
                still.append((answered_at, call))
        self.waiting = still

    def dial(self, now: float) -> None:
        free = [agent for agent, at in enumerate(self.free_at) if at <= now]
        snapshot = pacer.Snapshot(
            mode=self.result.mode,
            agents_free=len(free),
            agents_finishing=sum(1 for t in self.free_at if now < t <= now + pacer.RING_GUESS),
            calls_in_flight=sum(1 for *_, r in self.ringing if r is None) + len(self.waiting),
            answer_rate=self.recent.answer_rate,
            live_answers_period=self.result.live_answers,
            abandoned_period=self.result.abandoned,
            cap_percent=self.cap_percent,
        )
        decision = pacer.lines_to_dial(snapshot)
        for index in range(decision.lines):
            call = self.sim.place(f"+1602555{self.result.dials % 10000:04d}")
            self.result.dials += 1
            agent = free[index] if decision.reserve and index < len(free) else None
            if agent is not None:
                self.free_at[agent] = math.inf  # waiting on this call
            self.ringing.append((now + call.ring_seconds, call, agent))

    def connect(self, agent: int, now: float, call: SimCall) -> None:
        self.result.talk_seconds += call.talk_seconds
        handle = call.talk_seconds + self.sim.wrap_seconds()
        self.free_at[agent] = now + handle
        self.recent.handled(handle)
