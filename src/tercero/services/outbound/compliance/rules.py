"""May this lead be called now? If not: every rule that says no, with its source, and when.

Pure: facts in, a Verdict out. Each rule is a check that, at a moment, either allows the
call or says why not and the earliest later moment it would allow it (None: never).
The next callable moment is found by jumping to the latest of those moments until no
rule objects; since each check's moment is exact, nothing earlier can be callable.
Windows are evaluated in zoneinfo per candidate zone, so DST changes fall out right.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from tercero.services.outbound.compliance import zones as zone_rules
from tercero.services.outbound.compliance.packs import Cap, Pack, QuietDays, Window
from tercero.services.outbound.compliance.verdict import Reason, Verdict

HORIZON = timedelta(days=400)  # no opening within this: reported as never
MAX_STEPS = 5000
REGISTRY_KEYS = frozenset({"US-NDNC", "UK-TPS", "UK-CTPS", "AU-DNCR"})
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INTERNAL_DNC_SOURCE = (
    "Internal do-not-call list (the client's or the provider's): the person asked not to be "
    "called, or the number was added by hand; 47 CFR 64.1200(d)(3) (US) and PECR reg. 21(1)(a) "
    "(UK) require such requests to be honoured."
)


@dataclass(frozen=True)
class LeadFacts:
    number: str
    postal_code: str | None = None
    country: str | None = None
    region: str | None = None
    is_mobile: bool | None = None
    consent_scopes: frozenset[str] = frozenset()
    on_dnc: tuple[str, ...] = ()  # the do-not-call sources holding the number


@dataclass(frozen=True)
class History:
    attempts: tuple[datetime, ...] = ()  # UTC times of past attempts to this lead
    number_attempts: tuple[datetime, ...] = field(default=())  # other leads', same number


@dataclass(frozen=True)
class Block:
    reason: Reason
    until: datetime | None  # earliest later moment this rule allows; None: never


Check = Callable[[datetime], Block | None]


def why_not(
    lead: LeadFacts, history: History, at: datetime, pack: Pack, *, automated: bool = False
) -> Verdict:
    """Whether `lead` may be called at `at` under `pack`, why not, and when it next may be."""
    at = _utc(at, "at")
    for attempt in (*history.attempts, *history.number_attempts):
        _utc(attempt, "an attempt time")
    zones = zone_rules.zones_for(lead.number, lead.postal_code, lead.country)
    checks = _checks(lead, history, pack, zones, automated=automated)
    blocks = [block for check in checks if (block := check(at)) is not None]
    if not blocks:
        return Verdict(callable=True, reasons=(), next_callable_at=at, zones=zones)
    return Verdict(
        callable=False,
        reasons=tuple(block.reason for block in blocks),
        next_callable_at=_next_callable(checks, at, blocks),
        zones=zones,
    )


def _next_callable(checks: list[Check], at: datetime, blocks: list[Block]) -> datetime | None:
    for _ in range(MAX_STEPS):
        untils = [block.until for block in blocks]
        if any(until is None for until in untils):
            return None
        moment = max(until for until in untils if until is not None)
        if moment - at > HORIZON:
            return None
        blocks = [block for check in checks if (block := check(moment)) is not None]
        if not blocks:
            return moment
    return None


def _checks(
    lead: LeadFacts, history: History, pack: Pack, zones: tuple[str, ...], *, automated: bool
) -> list[Check]:
    if not zones:
        return [_no_zone_check(lead.number)]
    regions = [
        pack.regions[code]
        for code in zone_rules.regions_for(lead.number, lead.postal_code, lead.region)
        if code in pack.regions
    ]
    windows = [pack.window, *(region.window for region in regions if region.window)]
    quiet = [*pack.quiet_days, *(days for region in regions for days in region.quiet_days)]
    caps = [*pack.caps, *(cap for region in regions for cap in region.caps)]
    checks: list[Check] = [*_dnc_checks(lead, pack), *_consent_checks(lead, pack, automated)]
    for zone in zones:
        checks += [_window_check(window, zone) for window in windows]
        checks += [_quiet_day_check(days, zone) for days in quiet]
    for cap in caps:
        attempts = history.attempts + (history.number_attempts if cap.scope == "number" else ())
        if cap.period == "day":
            checks += [_day_cap_check(cap, attempts, zone) for zone in zones]
        else:
            checks.append(_cap_check(cap, attempts))
    return checks


def _no_zone_check(number: str) -> Check:
    reason = Reason(
        rule="time_zone_unknown",
        source="Calling windows are set in the called person's local time "
        "(e.g. 47 CFR 64.1200(c)(1)).",
        detail=f"No time zone is known for {number}, so no calling window can be checked.",
    )
    return lambda moment: Block(reason, None)


def _dnc_checks(lead: LeadFacts, pack: Pack) -> list[Check]:
    checks: list[Check] = []
    for source in lead.on_dnc:
        registry = pack.registry(source)
        if registry is not None and registry.consent_scope in lead.consent_scopes:
            continue  # the registry itself lets a consented call through
        if registry is not None:
            reason = Reason(
                rule=f"dnc.registry.{source}",
                source=registry.source,
                detail=f"The number is on the {registry.name} ({source}) "
                "and no consent to calls is on record.",
            )
        elif source in REGISTRY_KEYS:
            reason = Reason(
                rule=f"dnc.registry.{source}",
                source=f"The {source} register; not a register of the {pack.name} pack, "
                "honoured all the same.",
                detail=f"The number is on the {source} register.",
            )
        else:
            reason = Reason(
                rule="dnc.internal",
                source=INTERNAL_DNC_SOURCE,
                detail=f"The number is on the do-not-call list {source!r}.",
            )
        checks.append(lambda moment, reason=reason: Block(reason, None))
    return checks


def _consent_checks(lead: LeadFacts, pack: Pack, automated: bool) -> list[Check]:
    rule = pack.mobile_consent
    if (
        rule is None
        or not automated
        or lead.is_mobile is False
        or rule.scope in lead.consent_scopes
    ):
        return []
    kind = "a mobile" if lead.is_mobile else "a number that may be a mobile"
    reason = Reason(
        rule=rule.rule,
        source=rule.source,
        detail=f"Automated dialling of {kind} needs the person's consent "
        f"({rule.scope!r}); none is on record.",
    )
    return [lambda moment: Block(reason, None)]


def _window_check(window: Window, zone_name: str) -> Check:
    zone = ZoneInfo(zone_name)

    def check(moment: datetime) -> Block | None:
        local = moment.astimezone(zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            hours = window.hours_on(day.weekday())
            if hours is None:
                continue
            start = datetime.combine(day, hours[0], tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, hours[1], tzinfo=zone).astimezone(UTC)
            if offset == 0 and start <= moment < end:
                return None
            if moment < start:
                return Block(_window_reason(window, zone_name, local), start)
        return Block(_window_reason(window, zone_name, local), None)

    return check


def _window_reason(window: Window, zone_name: str, local: datetime) -> Reason:
    weekday = local.weekday()
    hours = window.hours_on(weekday)
    if hours is None:
        allowed = f"{window.place} allows no calls on {DAY_NAMES[weekday]}s"
    else:
        allowed = f"{window.place} allows calls from {_clock(hours[0])} to {_clock(hours[1])}"
        if len(set(window.hours)) > 1:
            allowed += f" on {DAY_NAMES[weekday]}s"
    return Reason(
        rule=window.rule,
        source=window.source,
        detail=f"It is {_clock(local.time())} on {DAY_NAMES[weekday]} in {zone_name}; {allowed}.",
    )


def _quiet_day_check(days: QuietDays, zone_name: str) -> Check:
    zone = ZoneInfo(zone_name)

    def check(moment: datetime) -> Block | None:
        today = moment.astimezone(zone).date()
        name = _holiday(days.country, days.subdivision, today)
        if name is None:
            return None
        day = today + timedelta(days=1)
        while _holiday(days.country, days.subdivision, day) is not None:
            day += timedelta(days=1)
        detail = (
            f"It is {name} ({today.isoformat()}) in {zone_name}; "
            f"{days.place} allows no calls on it."
        )
        until = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        return Block(Reason(rule=days.rule, source=days.source, detail=detail), until)

    return check


def _holiday(country: str, subdivision: str | None, day: date) -> str | None:
    calendar = _calendar(country, subdivision, day.year)
    name = calendar.get(day)
    return None if name is None else str(name)


@cache
def _calendar(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def _cap_check(cap: Cap, attempts: tuple[datetime, ...]) -> Check:
    def check(moment: datetime) -> Block | None:
        past = sorted(attempt for attempt in attempts if attempt <= moment)
        if cap.period == "lifetime":
            if len(past) < cap.maximum:
                return None
            return Block(_cap_reason(cap, len(past), "in all"), None)
        recent = [attempt for attempt in past if attempt > moment - timedelta(hours=24)]
        if len(recent) < cap.maximum:
            return None
        # Allowed again once the oldest attempt that keeps the count at the cap is 24 h old.
        until = recent[len(recent) - cap.maximum] + timedelta(hours=24)
        return Block(_cap_reason(cap, len(recent), "in the last 24 hours"), until)

    return check


def _day_cap_check(cap: Cap, attempts: tuple[datetime, ...], zone_name: str) -> Check:
    zone = ZoneInfo(zone_name)

    def check(moment: datetime) -> Block | None:
        today = moment.astimezone(zone).date()
        count = sum(1 for a in attempts if a <= moment and a.astimezone(zone).date() == today)
        if count < cap.maximum:
            return None
        until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return Block(_cap_reason(cap, count, f"today ({today.isoformat()}) in {zone_name}"), until)

    return check


def _cap_reason(cap: Cap, count: int, when: str) -> Reason:
    whose = "this number" if cap.scope == "number" else "this lead"
    period = {"day": "a day", "rolling_24h": "any 24 hours", "lifetime": "in all"}[cap.period]
    detail = (
        f"{_attempts(count)} to {whose} {when}; {cap.place} allows at most "
        f"{_attempts(cap.maximum).lower()} {period}."
    )
    return Reason(rule=cap.rule, source=cap.source, detail=detail[0].upper() + detail[1:])


def _attempts(count: int) -> str:
    return f"{count} call attempt{'s' if count != 1 else ''}"


def _clock(moment: time) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    if moment.minute == 0 and moment.second == 0:
        return f"{hour} {suffix}" if (moment.hour, suffix) != (12, "pm") else "noon"
    return f"{hour}:{moment.minute:02d} {suffix}"


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone (UTC): {moment.isoformat()}")
    return moment.astimezone(UTC)


def all_rules(pack: Pack) -> Iterable[tuple[str, str]]:
    """Every (rule, source) of a pack: the table the documentation and the pages print."""
    yield pack.window.rule, pack.window.source
    for days in pack.quiet_days:
        yield days.rule, days.source
    for cap in pack.caps:
        yield cap.rule, cap.source
    for region in pack.regions.values():
        if region.window:
            yield region.window.rule, region.window.source
        for days in region.quiet_days:
            yield days.rule, days.source
        for cap in region.caps:
            yield cap.rule, cap.source
    if pack.mobile_consent:
        yield pack.mobile_consent.rule, pack.mobile_consent.source
    if pack.abandon_cap:
        yield pack.abandon_cap.rule, pack.abandon_cap.source
    for registry in pack.registries:
        yield f"dnc.registry.{registry.key}", registry.source
