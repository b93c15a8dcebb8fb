"""The engagement's business calendar and SLA targets, validated as data."""

import re
from typing import Literal, Self

import holidays
from pydantic import BaseModel, Field, field_validator, model_validator

from tercero.platform.tenancy import regions

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class WorkingHours(BaseModel):
    """Weekday (0 = Monday) to a list of [start, end] "HH:MM" intervals, ordered."""

    days: dict[int, list[tuple[str, str]]]

    @field_validator("days")
    @classmethod
    def _valid(cls, days: dict[int, list[tuple[str, str]]]) -> dict[int, list[tuple[str, str]]]:
        for weekday, intervals in days.items():
            if not 0 <= weekday <= 6:
                raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
            previous_end = "00:00"
            for start, end in intervals:
                if not (_HHMM.match(start) and _HHMM.match(end)):
                    raise ValueError(f"times are HH:MM, got {start!r}-{end!r}")
                if not previous_end <= start < end:
                    raise ValueError(f"intervals on day {weekday} must be ordered and not overlap")
                previous_end = end
        return days


def validate_time_zone(value: str) -> str:
    if value not in regions.time_zones():
        raise ValueError(f"{value!r} is not an IANA time zone")
    return value


def validate_holidays(country: str, subdivision: str) -> None:
    if not country:
        if subdivision:
            raise ValueError("a holiday subdivision needs a holiday country")
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"no public-holiday calendar for country {country!r}")
    if subdivision and subdivision not in supported[country]:
        raise ValueError(f"{subdivision!r} is not a subdivision of {country}")


Metric = Literal[
    "first_response", "resolution", "turnaround", "accuracy", "service_level", "answer"
]
Priority = Literal["P1", "P2", "P3", "P4"]


class SlaTarget(BaseModel):
    metric: Metric
    priority: Priority | None = None
    target_seconds: int | None = Field(default=None, ge=1, le=366 * 86400)
    target_business_days: int | None = Field(default=None, ge=1, le=365)
    target_percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        given = [
            v
            for v in (self.target_seconds, self.target_business_days, self.target_percent)
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of target_seconds, target_business_days, target_percent"
            )
        return self


class Rate(BaseModel):
    unit: Literal["fte_month", "hour", "transaction", "minute", "outcome"]
    amount_minor: int = Field(ge=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
