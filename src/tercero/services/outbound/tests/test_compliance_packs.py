"""Rule packs: every shipped pack loads, every rule cites its source, broken packs say where."""

import json

import pytest

from tercero.services.outbound.compliance.packs import PACKS_DIR, PackError, available, load, parse
from tercero.services.outbound.compliance.rules import all_rules


def pack_data(key: str) -> dict:
    return json.loads((PACKS_DIR / f"{key}.json").read_text())


@pytest.mark.parametrize("key", ["us", "gb", "au"])
def test_every_shipped_pack_loads_with_a_version_and_a_source_for_every_rule(key):
    pack = load(key)
    assert pack.key == key
    assert pack.version
    assert pack.effective_from.year >= 2026
    for rule, source in all_rules(pack):
        assert rule
        assert "http" in source, f"{rule} cites no address"


def test_the_us_pack_has_florida_and_six_other_states():
    pack = load("us")
    assert set(pack.regions) == {"FL", "OK", "MD", "WA", "TX", "LA", "MS"}
    florida = pack.regions["FL"]
    assert [(cap.period, cap.maximum, cap.scope) for cap in florida.caps] == [
        ("rolling_24h", 3, "number")
    ]
    assert str(pack.abandon_cap.percent) == "3"
    assert pack.abandon_cap.period_hours == 720
    assert [registry.key for registry in pack.registries] == ["US-NDNC"]


def test_the_uk_pack_caps_abandoned_calls_per_24_hours_and_scrubs_tps_and_ctps():
    pack = load("gb")
    assert pack.abandon_cap.period_hours == 24
    assert [registry.key for registry in pack.registries] == ["UK-TPS", "UK-CTPS"]
    assert pack.mobile_consent is None


def test_available_lists_the_shipped_packs():
    assert {"us", "gb", "au"} <= set(available())


def test_an_unknown_pack_names_the_packs_there_are():
    with pytest.raises(PackError, match=r"No rule pack 'xx'; the packs are au, gb, us"):
        load("xx")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "pack broken: version: required text"),
        (lambda d: d.update(effective_from="soon"), "pack broken: effective_from: must be a date"),
        (
            lambda d: d["regions"]["FL"]["caps"][0].update(max=0),
            r"pack broken: regions.FL.caps\[0\].max: must be a whole number of at least 1",
        ),
        (
            lambda d: d["regions"]["FL"]["caps"][0].update(period="weekly"),
            r"regions.FL.caps\[0\].period: must be one of day, rolling_24h, lifetime",
        ),
        (
            lambda d: d["regions"]["TX"]["window"]["hours"].update(sunday=["21:00", "12:00"]),
            "regions.TX.window.hours.sunday: the window must start before it ends",
        ),
        (
            lambda d: d["window"]["hours"].update(funday=["08:00", "09:00"]),
            "window.hours: unknown day 'funday'",
        ),
        (
            lambda d: d["regions"]["FL"]["window"].pop("source"),
            "regions.FL.window.source: required text",
        ),
        (
            lambda d: d["abandon_cap"].update(percent="lots"),
            "abandon_cap.percent: must be a decimal",
        ),
        (
            lambda d: d["window"]["hours"].update(default="8-9"),
            r'window.hours.default: must be \["HH:MM"',
        ),
    ],
)
def test_a_broken_pack_is_refused_naming_the_field(change, message):
    # given the US pack with one mistake
    data = pack_data("us")
    change(data)
    # when / then
    with pytest.raises(PackError, match=message):
        parse(data, name="broken")
