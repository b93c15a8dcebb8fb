"""Properties of `why_not` over random leads, zones, DST changes, packs and histories.

The acceptance of issue 24: no call is ever allowed outside its window (in every candidate
zone) or over a cap; every refusal has a reason; the next callable moment is callable and
nothing earlier is. The oracle below states the rules plainly, in wall-clock local time,
independently of the stepping code in rules.py.
"""

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tercero.services.outbound.compliance import History, LeadFacts, why_not
from tercero.services.outbound.compliance.packs import PACKS_DIR, Pack, parse
from tercero.services.outbound.compliance.zones import regions_for, zones_for

# Numbers across the hard places, each with postal codes that narrow or widen its zones.
PLACES = [
    ("+16025550100", [None, "85001", "86503", "32501"]),  # Phoenix; Navajo; moved to Florida
    ("+19285550100", [None, "86001", "86515", "86039"]),  # north Arizona
    ("+12195550100", [None, "46320", "46204"]),  # northwest Indiana
    ("+13175550100", [None, "46204"]),  # Indianapolis
    ("+18125550100", [None, "47708", "47401", "47546"]),  # southwest Indiana
    ("+18505550100", [None, "32501", "32301", "32456"]),  # Florida panhandle
    ("+13055550123", [None, "33101"]),  # Miami
    ("+19155550100", [None, "79901", "79830"]),  # El Paso, Alpine
    ("+12145550100", [None, "75201"]),  # Dallas
    ("+15045550100", [None, "70112"]),  # New Orleans
    ("+16015550100", [None]),  # Mississippi
    ("+14055550100", [None]),  # Oklahoma
    ("+13015550100", [None]),  # Maryland
    ("+12065550100", [None, "99201"]),  # Washington
    ("+17015550100", [None, "58601"]),  # North Dakota
    ("+12085550100", [None, "83814", "83501"]),  # Idaho
    ("+19075550100", [None]),  # Alaska: Anchorage and Adak
    ("+442079460000", [None]),  # London
    ("+447911123456", [None]),  # UK mobile
    ("+61298765432", [None, "2000"]),  # Sydney
    ("+61891234567", [None, "6000"]),  # Perth and Adelaide
    ("+61412345678", [None, "3000", "2880", "2898", "6798", "0800"]),  # AU mobile
]

# Moments of DST changes (UTC) in 2026-2028: US, UK, Australia (NSW), Lord Howe.
DST_CHANGES = [
    datetime(2027, 3, 14, 10, tzinfo=UTC),
    datetime(2027, 11, 7, 6, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
    datetime(2027, 4, 3, 16, tzinfo=UTC),
    datetime(2027, 10, 2, 16, tzinfo=UTC),
    datetime(2028, 4, 1, 15, tzinfo=UTC),
]

DNC_SOURCES = ["US-NDNC", "UK-TPS", "UK-CTPS", "AU-DNCR", "client", "provider"]


def pack_data(key: str) -> dict:
    return json.loads((PACKS_DIR / f"{key}.json").read_text())


caps = st.lists(
    st.fixed_dictionaries(
        {
            "rule": st.sampled_from(["house.cap.a", "house.cap.b"]),
            "source": st.just("Client calling policy, schedule 2"),
            "scope": st.sampled_from(["number", "lead"]),
            "period": st.sampled_from(["day", "rolling_24h", "lifetime"]),
            "max": st.integers(min_value=1, max_value=5),
        }
    ),
    max_size=3,
)


@st.composite
def packs(draw) -> Pack:
    data = pack_data(draw(st.sampled_from(["us", "gb", "au"])))
    data["caps"] = draw(caps)
    return parse(data, name=data["key"])


@st.composite
def moments(draw) -> datetime:
    if draw(st.booleans()):
        change = draw(st.sampled_from(DST_CHANGES))
        return change + timedelta(
            minutes=draw(st.integers(min_value=-4 * 1440, max_value=4 * 1440))
        )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(min_value=0, max_value=3 * 365 * 86400)))


@st.composite
def cases(draw):
    number, postal_codes = draw(st.sampled_from(PLACES))
    pack = draw(packs())
    at = draw(moments())
    before = st.integers(min_value=1, max_value=3 * 1440).map(
        lambda minutes: at - timedelta(minutes=minutes)
    )
    lead = LeadFacts(
        number=number,
        postal_code=draw(st.sampled_from(postal_codes)),
        country=None,
        region=draw(st.sampled_from([None, *pack.regions])),
        is_mobile=draw(st.sampled_from([None, True, False])),
        consent_scopes=frozenset(draw(st.sets(st.sampled_from(["calls", "automated"])))),
        on_dnc=tuple(draw(st.lists(st.sampled_from(DNC_SOURCES), max_size=1)))
        if draw(st.integers(0, 5)) == 0
        else (),
    )
    history = History(
        attempts=tuple(draw(st.lists(before, max_size=6))),
        number_attempts=tuple(draw(st.lists(before, max_size=3))),
    )
    return lead, history, at, pack, draw(st.booleans())


def allowed(
    lead: LeadFacts, history: History, moment: datetime, pack: Pack, automated: bool
) -> bool:
    """The rules as a reader of the statutes would apply them, minute by minute."""
    zones = _zones(lead.number, lead.postal_code, lead.country)
    states = _states(lead.number, lead.postal_code, lead.region)
    regions = [pack.regions[code] for code in states if code in pack.regions]
    return (
        bool(zones)
        and not _barred(lead, pack, automated)
        and _inside_windows(zones, regions, moment, pack)
        and _under_caps(zones, regions, history, moment, pack)
    )


def _barred(lead: LeadFacts, pack: Pack, automated: bool) -> bool:
    for source in lead.on_dnc:
        registry = pack.registry(source)
        if registry is None or registry.consent_scope not in lead.consent_scopes:
            return True
    consent = pack.mobile_consent
    return bool(
        consent
        and automated
        and lead.is_mobile is not False
        and consent.scope not in lead.consent_scopes
    )


def _inside_windows(zones, regions, moment: datetime, pack: Pack) -> bool:
    windows = [pack.window, *(region.window for region in regions if region.window)]
    quiet = [*pack.quiet_days, *(days for region in regions for days in region.quiet_days)]
    for zone in map(ZoneInfo, zones):
        local = moment.astimezone(zone)
        for window in windows:
            hours = window.hours_on(local.weekday())
            if hours is None or not hours[0] <= local.time().replace(tzinfo=None) < hours[1]:
                return False
        if any(_is_holiday(days.country, days.subdivision, local.date()) for days in quiet):
            return False
    return True


def _under_caps(zones, regions, history: History, moment: datetime, pack: Pack) -> bool:
    for cap in [*pack.caps, *(cap for region in regions for cap in region.caps)]:
        attempts = list(history.attempts) + (
            list(history.number_attempts) if cap.scope == "number" else []
        )
        attempts = [attempt for attempt in attempts if attempt <= moment]
        if cap.period == "lifetime" and len(attempts) >= cap.maximum:
            return False
        if (
            cap.period == "rolling_24h"
            and sum(a > moment - timedelta(hours=24) for a in attempts) >= cap.maximum
        ):
            return False
        if cap.period == "day":
            for zone in map(ZoneInfo, zones):
                today = moment.astimezone(zone).date()
                if sum(a.astimezone(zone).date() == today for a in attempts) >= cap.maximum:
                    return False
    return True


_zones = cache(zones_for)
_states = cache(regions_for)


@cache
def _is_holiday(country: str, subdivision: str | None, day: date) -> bool:
    return day in holidays.country_holidays(country, subdiv=subdivision, years=day.year)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_callable_exactly_when_every_window_and_cap_allows_and_every_refusal_has_a_reason(case):
    lead, history, at, pack, automated = case
    # when
    verdict = why_not(lead, history, at, pack, automated=automated)
    # then
    assert verdict.callable is allowed(lead, history, at, pack, automated)
    if verdict.callable:
        assert verdict.reasons == ()
        assert verdict.next_callable_at == at
    else:
        assert verdict.reasons
        assert all(reason.rule and reason.source and reason.detail for reason in verdict.reasons)
    if verdict.next_callable_at is not None:
        assert verdict.next_callable_at >= at
        assert allowed(lead, history, verdict.next_callable_at, pack, automated)


HORIZON_MINUTES = 3 * 1440


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_nothing_between_now_and_the_next_callable_moment_is_callable(case):
    # given any lead, checked minute by minute over three days
    lead, history, at, pack, automated = case
    # when
    verdict = why_not(lead, history, at, pack, automated=automated)
    # then no minute before the answer is callable, and the answer itself is
    horizon = at + timedelta(minutes=HORIZON_MINUTES)
    end = min(verdict.next_callable_at or horizon, horizon)
    moment = at
    while moment < end:
        assert not allowed(lead, history, moment, pack, automated), moment
        moment += timedelta(minutes=1)
    if verdict.next_callable_at is not None and verdict.next_callable_at <= horizon:
        assert allowed(lead, history, verdict.next_callable_at, pack, automated)
