"""Calling-rule packs: versioned data files (packs/<key>.json), each rule with its source.

A pack holds the national calling window, the regional (US state) rules that add to it,
quiet days, attempt caps, the consent rule for automated calls to mobiles, the abandoned
call cap the pacer keeps to and the registries a list must be scrubbed against. Loading
validates the file; a broken pack raises PackError naming the field.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

PACKS_DIR = Path(__file__).resolve().parent.parent / "packs"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CAP_PERIODS = ("day", "rolling_24h", "lifetime")
CAP_SCOPES = ("number", "lead")


class PackError(ValueError):
    """A rule pack that cannot be used; the message names the pack and the field."""


@dataclass(frozen=True)
class Window:
    """Calling hours in the called person's local time, per weekday (None: no calls)."""

    rule: str
    source: str
    place: str
    hours: tuple[tuple[time, time] | None, ...]  # Monday first, seven entries

    def hours_on(self, weekday: int) -> tuple[time, time] | None:
        return self.hours[weekday]


@dataclass(frozen=True)
class QuietDays:
    """Public holidays (from the `holidays` package) on which no calls may be made."""

    rule: str
    source: str
    place: str
    country: str
    subdivision: str | None


@dataclass(frozen=True)
class Cap:
    """At most `maximum` attempts per `period` ("day" local, "rolling_24h", "lifetime")."""

    rule: str
    source: str
    place: str
    scope: str  # "number": every attempt to the number; "lead": this lead's attempts
    period: str
    maximum: int


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    window: Window | None
    quiet_days: tuple[QuietDays, ...]
    caps: tuple[Cap, ...]


@dataclass(frozen=True)
class MobileConsent:
    """Automated dialling of a mobile needs a consent record of `scope`."""

    rule: str
    source: str
    scope: str


@dataclass(frozen=True)
class AbandonCap:
    rule: str
    source: str
    percent: Decimal
    period_hours: int
    basis: str


@dataclass(frozen=True)
class Registry:
    """A national do-not-call register; `consent_scope` lets a consented call through."""

    key: str
    name: str
    source: str
    consent_scope: str | None


@dataclass(frozen=True)
class Pack:
    key: str
    name: str
    country: str
    version: str
    effective_from: date
    window: Window
    quiet_days: tuple[QuietDays, ...]
    caps: tuple[Cap, ...]
    regions: Mapping[str, Region]
    mobile_consent: MobileConsent | None
    abandon_cap: AbandonCap | None
    registries: tuple[Registry, ...]

    def registry(self, key: str) -> Registry | None:
        return next((registry for registry in self.registries if registry.key == key), None)


def available() -> tuple[str, ...]:
    """The keys of the packs shipped with Tercero."""
    return tuple(sorted(path.stem for path in PACKS_DIR.glob("*.json")))


@cache
def load(key: str) -> Pack:
    """The pack `key` ("us", "gb", "au"), validated; PackError when missing or broken."""
    path = PACKS_DIR / f"{key}.json"
    if not key.isalnum() or not path.is_file():
        raise PackError(f"No rule pack {key!r}; the packs are {', '.join(available())}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PackError(f"pack {key}: not valid JSON ({error})") from error
    return parse(data, name=key)


def parse(data: Any, *, name: str) -> Pack:
    """Build a Pack from its JSON form, naming the first field that is wrong."""
    reader = _Reader(name)
    root = reader.mapping(data, "")
    country = reader.text(root, "country")
    window = reader.window(root, "window", place=reader.text(root, "name"))
    if window is None:
        raise PackError(f"pack {name}: window: required")
    regions_data = reader.mapping(root.get("regions", {}), "regions")
    regions = {code: reader.region(regions_data, code, country=country) for code in regions_data}
    return Pack(
        key=reader.text(root, "key"),
        name=reader.text(root, "name"),
        country=country,
        version=reader.text(root, "version"),
        effective_from=reader.day(root, "effective_from"),
        window=window,
        quiet_days=reader.quiet_days(root, "quiet_days", place=root["name"], country=country),
        caps=reader.caps(root, "caps", place=root["name"]),
        regions=regions,
        mobile_consent=reader.mobile_consent(root, "mobile_consent"),
        abandon_cap=reader.abandon_cap(root, "abandon_cap"),
        registries=reader.registries(root, "registries"),
    )


class _Reader:
    """Typed reads of a pack's JSON with the path of each field in the error."""

    def __init__(self, pack: str) -> None:
        self.pack = pack

    def fail(self, path: str, problem: str) -> PackError:
        return PackError(f"pack {self.pack}: {path or 'the file'}: {problem}")

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be an object")
        return value

    def text(self, data: dict[str, Any], field: str, path: str = "") -> str:
        value = data.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_join(path, field), "required text")
        return value

    def day(self, data: dict[str, Any], field: str) -> date:
        try:
            return date.fromisoformat(self.text(data, field))
        except ValueError as error:
            raise self.fail(field, "must be a date YYYY-MM-DD") from error

    def clock(self, value: Any, path: str) -> time:
        try:
            return time.fromisoformat(value)
        except (TypeError, ValueError) as error:
            raise self.fail(path, "must be a time HH:MM") from error

    def ruled(self, data: dict[str, Any], path: str) -> tuple[str, str]:
        return self.text(data, "rule", path), self.text(data, "source", path)

    def window(
        self, data: dict[str, Any], field: str, *, place: str, path: str = ""
    ) -> Window | None:
        if field not in data:
            return None
        path = _join(path, field)
        body = self.mapping(data[field], path)
        rule, source = self.ruled(body, path)
        hours_data = self.mapping(body.get("hours"), f"{path}.hours")
        unknown = set(hours_data) - {"default", *WEEKDAYS}
        if unknown:
            raise self.fail(f"{path}.hours", f"unknown day {sorted(unknown)[0]!r}")
        if "default" not in hours_data:
            raise self.fail(f"{path}.hours.default", "required")
        hours = tuple(
            self.span(hours_data[key], f"{path}.hours.{key}")
            for key in (day if day in hours_data else "default" for day in WEEKDAYS)
        )
        return Window(rule=rule, source=source, place=place, hours=hours)

    def span(self, value: Any, path: str) -> tuple[time, time] | None:
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(path, 'must be ["HH:MM", "HH:MM"] or null (no calls)')
        start, end = self.clock(value[0], path), self.clock(value[1], path)
        if start >= end:
            raise self.fail(path, "the window must start before it ends")
        return start, end

    def items(
        self, data: dict[str, Any], field: str, path: str
    ) -> list[tuple[str, dict[str, Any]]]:
        path = _join(path, field)
        value = data.get(field, [])
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return [
            (f"{path}[{index}]", self.mapping(item, f"{path}[{index}]"))
            for index, item in enumerate(value)
        ]

    def quiet_days(
        self, data: dict[str, Any], field: str, *, place: str, country: str, path: str = ""
    ) -> tuple[QuietDays, ...]:
        found = []
        for item_path, item in self.items(data, field, path):
            rule, source = self.ruled(item, item_path)
            subdivision = item.get("subdivision")
            if subdivision is not None and not isinstance(subdivision, str):
                raise self.fail(f"{item_path}.subdivision", "must be text or absent")
            found.append(QuietDays(rule, source, place, item.get("country", country), subdivision))
        return tuple(found)

    def caps(
        self, data: dict[str, Any], field: str, *, place: str, path: str = ""
    ) -> tuple[Cap, ...]:
        found = []
        for item_path, item in self.items(data, field, path):
            rule, source = self.ruled(item, item_path)
            scope, period, maximum = item.get("scope"), item.get("period"), item.get("max")
            if scope not in CAP_SCOPES:
                raise self.fail(f"{item_path}.scope", f"must be one of {', '.join(CAP_SCOPES)}")
            if period not in CAP_PERIODS:
                raise self.fail(f"{item_path}.period", f"must be one of {', '.join(CAP_PERIODS)}")
            if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum < 1:
                raise self.fail(f"{item_path}.max", "must be a whole number of at least 1")
            found.append(Cap(rule, source, place, scope, period, maximum))
        return tuple(found)

    def region(self, regions: dict[str, Any], code: str, *, country: str) -> Region:
        path = f"regions.{code}"
        body = self.mapping(regions[code], path)
        name = self.text(body, "name", path)
        return Region(
            code=code,
            name=name,
            window=self.window(body, "window", place=name, path=path),
            quiet_days=self.quiet_days(body, "quiet_days", place=name, country=country, path=path),
            caps=self.caps(body, "caps", place=name, path=path),
        )

    def mobile_consent(self, data: dict[str, Any], field: str) -> MobileConsent | None:
        if data.get(field) is None:
            return None
        body = self.mapping(data[field], field)
        rule, source = self.ruled(body, field)
        return MobileConsent(rule, source, self.text(body, "scope", field))

    def abandon_cap(self, data: dict[str, Any], field: str) -> AbandonCap | None:
        if data.get(field) is None:
            return None
        body = self.mapping(data[field], field)
        rule, source = self.ruled(body, field)
        try:
            percent = Decimal(self.text(body, "percent", field))
        except InvalidOperation as error:
            raise self.fail(f"{field}.percent", "must be a decimal number as text") from error
        if not Decimal(0) < percent <= Decimal(100):
            raise self.fail(f"{field}.percent", "must be above 0 and at most 100")
        hours = body.get("period_hours")
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
            raise self.fail(f"{field}.period_hours", "must be a whole number of hours")
        return AbandonCap(rule, source, percent, hours, self.text(body, "basis", field))

    def registries(self, data: dict[str, Any], field: str) -> tuple[Registry, ...]:
        found = []
        for item_path, item in self.items(data, field, ""):
            consent_scope = item.get("consent_scope")
            if consent_scope is not None and not isinstance(consent_scope, str):
                raise self.fail(f"{item_path}.consent_scope", "must be text or absent")
            found.append(
                Registry(
                    key=self.text(item, "key", item_path),
                    name=self.text(item, "name", item_path),
                    source=self.text(item, "source", item_path),
                    consent_scope=consent_scope,
                )
            )
        return tuple(found)


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field
