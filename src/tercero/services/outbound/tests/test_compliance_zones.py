"""Time zones of a called person: from the number's area, narrowed by the postal code.

Zone lines from 49 CFR part 71; Arizona's DST exemption from 15 U.S.C. 260a.
"""

import pytest

from tercero.services.outbound.compliance.zones import is_mobile, regions_for, zones_for


@pytest.mark.parametrize(
    ("number", "postal_code", "zones"),
    [
        ("+16025550100", None, ("America/Phoenix",)),
        ("+16025550100", "85001", ("America/Phoenix",)),
        ("+19285550100", None, ("America/Denver", "America/Phoenix")),  # may be Navajo Nation
        ("+19285550100", "86515", ("America/Denver", "America/Phoenix")),  # Window Rock
        ("+19285550100", "86039", ("America/Phoenix",)),  # Kykotsmovi, Hopi: no DST
        ("+13175550100", None, ("America/New_York",)),  # Indianapolis
        ("+13175550100", "46204", ("America/Indiana/Indianapolis",)),
        ("+18125550100", None, ("America/Chicago", "America/New_York")),
        ("+18125550100", "47708", ("America/Chicago",)),  # Evansville
        ("+18125550100", "47401", ("America/Indiana/Indianapolis",)),  # Bloomington
        ("+18505550100", None, ("America/Chicago", "America/New_York")),
        ("+18505550100", "32501", ("America/Chicago",)),  # Pensacola
        ("+18505550100", "32301", ("America/New_York",)),  # Tallahassee
        ("+19155550100", "79901", ("America/Denver",)),  # El Paso
        ("+14235550100", "37402", ("America/New_York",)),  # Chattanooga
        ("+19065550100", None, ("America/Chicago", "America/New_York")),  # Upper Peninsula
        ("+17015550100", None, ("America/Denver", "America/North_Dakota/Center")),
        ("+12085550100", "83814", ("America/Los_Angeles",)),  # Coeur d'Alene
        ("+442079460000", None, ("Europe/London",)),
        ("+61298765432", None, ("Australia/Sydney",)),
        ("+61412345678", "3000", ("Australia/Melbourne",)),  # a mobile: the postcode decides
        ("+61412345678", "6798", ("Indian/Christmas",)),
    ],
)
def test_zones_for(number, postal_code, zones):
    assert zones_for(number, postal_code) == zones


def test_a_number_and_a_zip_that_disagree_are_both_checked():
    # given a Phoenix number whose owner now lives in Pensacola
    assert zones_for("+16025550100", "32501") == ("America/Chicago", "America/Phoenix")


def test_an_australian_mobile_without_a_postcode_may_be_anywhere_in_australia():
    zones = zones_for("+61412345678")
    assert {"Australia/Perth", "Australia/Sydney", "Australia/Lord_Howe"} <= set(zones)


def test_states_whose_rules_apply_come_from_region_zip_and_area_code():
    assert regions_for("+13055550123") == ("FL",)
    assert regions_for("+16025550100", postal_code="33101") == ("AZ", "FL")
    assert regions_for("+16025550100", region="tx") == ("AZ", "TX")
    assert regions_for("+442079460000", postal_code="33101") == ()


def test_mobile_or_not_where_the_numbering_plan_tells():
    assert is_mobile("+447911123456") is True
    assert is_mobile("+442079460000") is False
    assert is_mobile("+16025550100") is None  # NANP numbers do not say


@pytest.mark.parametrize("number", ["", "0207 946 0000", "+1 555", "+999123"])
def test_numbers_that_are_not_valid_e164_are_refused(number):
    with pytest.raises(ValueError, match="not a"):
        zones_for(number)
