"""The complexity assessment: weighted factors to a 0-100 score and a band.

Each factor maps its input to a level 1-5 by thresholds; a factor contributes
weight x (level - 1) / 4, so the score is 0 when everything is simplest and 100 when
everything is hardest. The weights sum to 100.
"""

from bisect import bisect_right
from dataclasses import asdict, dataclass
from typing import Any

REGULATION_LEVELS = {"none": 1, "light": 2, "moderate": 4, "strict": 5}
COVER_LEVELS = {"business_hours": 1, "extended": 3, "24_7": 5}

# factor: (weight, thresholds for levels 2..5 (input >= threshold), unit, label)
FACTORS: dict[str, tuple[int, tuple[float, ...], str, str]] = {
    "volume": (20, (1_000, 10_000, 50_000, 200_000), "items/month", "Monthly volume"),
    "process_steps": (15, (4, 8, 15, 30), "steps", "Process steps"),
    "exception_rate": (15, (2, 5, 10, 20), "%", "Exception rate"),
    "systems": (15, (2, 4, 6, 10), "systems", "Client systems used"),
    "regulation": (15, (), "", "Regulation"),
    "languages": (10, (2, 3, 5, 8), "languages", "Languages"),
    "hours_of_cover": (10, (), "", "Hours of cover"),
}
BANDS = ((25, "low"), (50, "medium"), (75, "high"), (101, "very_high"))
# the choice factors' inputs as people read them
CHOICE_LABELS = {
    "regulation": {
        "none": "No regulation",
        "light": "Light",
        "moderate": "Moderate",
        "strict": "Strict",
    },
    "hours_of_cover": {
        "business_hours": "Business hours",
        "extended": "Extended hours",
        "24_7": "24/7",
    },
}


@dataclass(frozen=True)
class FactorScore:
    factor: str
    label: str
    input: object
    level: int
    weight: int
    contribution: float
    explanation: str


def shown_input(factor: str, value: object) -> str:
    """The factor's input in words: "24/7", "5.0 %", "1200 items/month"."""
    if factor in CHOICE_LABELS:
        return CHOICE_LABELS[factor].get(str(value), str(value))
    return f"{value} {FACTORS[factor][2]}".strip() if factor in FACTORS else str(value)


def level_for(factor: str, value: Any) -> int:
    if factor == "regulation":
        return REGULATION_LEVELS[value]
    if factor == "hours_of_cover":
        return COVER_LEVELS[value]
    return 1 + bisect_right(FACTORS[factor][1], value)


def assess(inputs: dict[str, object]) -> dict[str, Any]:
    """Score the engagement inputs; the breakdown explains each factor in a sentence."""
    breakdown = [_score_factor(factor, inputs[factor]) for factor in FACTORS]
    score = round(sum(item.contribution for item in breakdown), 1)
    band = next(name for limit, name in BANDS if score < limit)
    return {"score": score, "band": band, "breakdown": [asdict(item) for item in breakdown]}


def _score_factor(factor: str, value: object) -> FactorScore:
    weight, _, _, label = FACTORS[factor]
    level = level_for(factor, value)
    contribution = round(weight * (level - 1) / 4, 2)
    shown = shown_input(factor, value)
    return FactorScore(
        factor=factor,
        label=label,
        input=value,
        level=level,
        weight=weight,
        contribution=contribution,
        explanation=(
            f"{label}: {shown} is level {level} of 5, adding {contribution:g} of {weight} points."
        ),
    )
