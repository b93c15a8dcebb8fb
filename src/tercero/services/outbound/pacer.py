"""How many lines to dial now: preview, progressive and predictive pacing.

- preview: no line is started for the agent; the agent sees the lead and presses Dial.
- progressive: one call per available agent, the agent reserved for it; nobody who
  answers ever waits, so nothing is abandoned, but agents sit through ringing, busy tones
  and answering machines.
- predictive: more lines than free agents, from the recent live-answer rate and the
  agents about to finish (their handle time), so that a person answers about when an
  agent frees up. Over-dialling risks abandoned calls (answered live, no agent free within
  2 s), so the pacer throttles itself down as the abandon rate over the pack's period
  nears the cap, and falls back to progressive pacing once it is close.

Pure code: the dialler and the day simulation (pbx_sim.simulate_day) feed it a Snapshot.
"""

import math
from collections import deque
from dataclasses import dataclass, field

# Below this share of the cap the pacer dials at full predictive speed; between it and
# FALLBACK_AT it slows down linearly; from FALLBACK_AT it dials progressively.
SLOW_FROM = 0.5
FALLBACK_AT = 0.8
MIN_ANSWER_RATE = 0.05  # never dial more than 20 lines for one free agent
MAX_LINES_PER_AGENT = 4.0
RING_GUESS = 15.0  # seconds: an agent finishing within this is counted as nearly free


@dataclass(frozen=True)
class Snapshot:
    mode: str  # "preview" | "progressive" | "predictive"
    agents_free: int  # available now, no call reserved for them
    agents_finishing: int  # expected to be free within about one ring time
    calls_in_flight: int  # unreserved lines ringing, and people waiting for an agent
    answer_rate: float  # recent share of dials answered by a person
    live_answers_period: int  # over the pack's period (e.g. 30 days in the US)
    abandoned_period: int
    cap_percent: float  # the pack's (or campaign's lower) abandoned-call cap


@dataclass(frozen=True)
class Decision:
    lines: int
    reserve: bool  # each line reserves a free agent (preview, progressive)
    why: str


def abandon_percent(abandoned: int, live_answers: int) -> float:
    return 100.0 * abandoned / live_answers if live_answers else 0.0


def lines_to_dial(s: Snapshot) -> Decision:
    if s.mode == "preview":
        return Decision(0, True, "Preview: the agent sees the lead and dials.")
    if s.mode == "progressive":
        return Decision(max(0, s.agents_free), True, "One call for each available agent.")
    if s.mode != "predictive":
        raise ValueError(f"Unknown dialling mode {s.mode!r}.")
    if s.cap_percent <= 0:
        return Decision(max(0, s.agents_free), True, "No abandoned calls allowed: progressive.")
    share = abandon_percent(s.abandoned_period, s.live_answers_period) / s.cap_percent
    if share >= FALLBACK_AT:
        return Decision(
            max(0, s.agents_free),
            True,
            f"Abandon rate at {share:.0%} of the cap: one call per available agent.",
        )
    speed = 1.0 if share <= SLOW_FROM else 1.0 - (share - SLOW_FROM) / (FALLBACK_AT - SLOW_FROM)
    rate = max(s.answer_rate, MIN_ANSWER_RATE)
    # People we want answering soon: every free agent, plus part of those finishing.
    wanted = s.agents_free + speed * s.agents_finishing
    expected = s.calls_in_flight * rate  # answers already on their way
    lines = (wanted - expected) / rate
    lines = min(lines, MAX_LINES_PER_AGENT * max(s.agents_free + s.agents_finishing, 0))
    count = max(0, math.floor(lines)) if s.agents_free or s.agents_finishing else 0
    return Decision(count, False, f"Predictive at {speed:.0%} speed (answer rate {rate:.0%}).")


@dataclass
class Recent:
    """The recent answer rate and handle time the predictive pacer needs (last N calls)."""

    size: int = 500
    answers: deque = field(default_factory=deque)
    handles: deque = field(default_factory=deque)

    def dialled(self, *, answered: bool) -> None:
        self.answers.append(1 if answered else 0)
        if len(self.answers) > self.size:
            self.answers.popleft()

    def handled(self, seconds: float) -> None:
        self.handles.append(seconds)
        if len(self.handles) > self.size:
            self.handles.popleft()

    @property
    def answer_rate(self) -> float:
        if len(self.answers) < 20:
            return 0.25  # a cautious start until there is history
        return sum(self.answers) / len(self.answers)

    @property
    def handle_seconds(self) -> float:
        return sum(self.handles) / len(self.handles) if self.handles else 120.0
