"""The answer to "why not now?": may the lead be called, which rules say no, and when next."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Reason:
    """One rule that forbids the call now: its name, its legal source and a plain sentence."""

    rule: str
    source: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    callable: bool
    reasons: tuple[Reason, ...]
    next_callable_at: datetime | None  # UTC; None when no moment ever is (DNC, lifetime cap)
    zones: tuple[str, ...]  # the candidate zones the windows were checked in


def as_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as plain JSON data, the next moment in UTC and in the lead's first zone."""
    return {
        "callable": verdict.callable,
        "reasons": [
            {"rule": reason.rule, "source": reason.source, "detail": reason.detail}
            for reason in verdict.reasons
        ],
        "next_callable_at": _moment(verdict.next_callable_at, verdict.zones),
        "zones": list(verdict.zones),
    }


def _moment(moment: datetime | None, zones: tuple[str, ...]) -> dict[str, str] | None:
    if moment is None:
        return None
    zone = zones[0] if zones else "UTC"
    return {
        "utc": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "local": moment.astimezone(ZoneInfo(zone)).isoformat(),
        "zone": zone,
    }
