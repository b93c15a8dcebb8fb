"""`why not now?` worked by hand, each case with the rule it tests and its source.

Dates: US DST 2027 begins 14 March and ends 7 November (15 U.S.C. 260a); UK summer time
2027 begins 28 March (Summer Time Order 2002); NSW daylight saving 2027 ends 4 April.
"""

from datetime import UTC, datetime

import pytest

from tercero.services.outbound.compliance import History, LeadFacts, as_json, load, why_not
from tercero.services.outbound.compliance.packs import parse


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def lead(number: str, **facts) -> LeadFacts:
    return LeadFacts(number=number, **facts)


def rules_of(verdict) -> list[str]:
    return [reason.rule for reason in verdict.reasons]


def test_arizona_keeps_standard_time_on_the_day_the_rest_of_the_us_springs_forward():
    # given 15:30 UTC on 14 March 2027: 8:30 am in Phoenix (UTC-7 all year)
    # when
    verdict = why_not(
        lead("+16025550100", postal_code="85001"), History(), utc("2027-03-14T15:30"), load("us")
    )
    # then 47 CFR 64.1200(c)(1) allows 8 am to 9 pm there
    assert verdict.callable is True
    assert verdict.zones == ("America/Phoenix",)
    assert verdict.next_callable_at == utc("2027-03-14T15:30")


def test_arizona_at_7_30_am_waits_until_8_am_mountain_standard_time():
    # given 14:30 UTC: 7:30 am in Phoenix; a stored "Mountain with DST" offset would say 8:30
    # when
    verdict = why_not(
        lead("+16025550100", postal_code="85001"), History(), utc("2027-03-14T14:30"), load("us")
    )
    # then
    assert verdict.callable is False
    assert rules_of(verdict) == ["us.calling_hours"]
    assert verdict.reasons[0].detail == (
        "It is 7:30 am on Sunday in America/Phoenix; United States allows calls from 8 am to 9 pm."
    )
    assert "64.1200(c)(1)" in verdict.reasons[0].source
    assert verdict.next_callable_at == utc("2027-03-14T15:00")


def test_florida_ends_calls_at_8_pm_where_federal_rules_allow_until_9():
    # given 00:30 UTC on 15 March 2027: 8:30 pm EDT on the 14th (Fla. Stat. 501.616(6)(a))
    # when
    verdict = why_not(lead("+13055550123"), History(), utc("2027-03-15T00:30"), load("us"))
    # then
    assert rules_of(verdict) == ["us.fl.calling_hours"]
    assert verdict.reasons[0].detail == (
        "It is 8:30 pm on Sunday in America/New_York; Florida allows calls from 8 am to 8 pm."
    )
    assert verdict.next_callable_at == utc("2027-03-15T12:00")  # 8 am EDT


def test_florida_allows_three_calls_in_any_24_hours():
    # given three attempts on 1 June 2027 (Fla. Stat. 501.616(6)(b))
    attempts = History(
        attempts=(utc("2027-06-01T13:00"), utc("2027-06-01T14:00"), utc("2027-06-01T15:00"))
    )
    # when
    verdict = why_not(lead("+13055550123"), attempts, utc("2027-06-01T16:00"), load("us"))
    # then the first attempt must be 24 hours old before a fourth
    assert rules_of(verdict) == ["us.fl.three_calls_per_24_hours"]
    assert verdict.reasons[0].detail == (
        "3 call attempts to this number in the last 24 hours; Florida allows at most "
        "3 call attempts any 24 hours."
    )
    assert verdict.next_callable_at == utc("2027-06-02T13:00")


def test_two_florida_calls_leave_room_for_a_third():
    attempts = History(attempts=(utc("2027-06-01T13:00"), utc("2027-06-01T14:00")))
    verdict = why_not(lead("+13055550123"), attempts, utc("2027-06-01T16:00"), load("us"))
    assert verdict.callable is True


def test_texas_allows_sunday_calls_from_noon():
    # given Sunday 6 June 2027, 10 am CDT (Tex. Bus. & Com. Code 301.051)
    verdict = why_not(lead("+12145550100"), History(), utc("2027-06-06T15:00"), load("us"))
    assert rules_of(verdict) == ["us.tx.calling_hours"]
    assert verdict.reasons[0].detail.endswith("Texas allows calls from noon to 9 pm on Sundays.")
    assert verdict.next_callable_at == utc("2027-06-06T17:00")


def test_louisiana_allows_no_calls_on_mardi_gras():
    # given Tuesday 9 February 2027, Mardi Gras, a Louisiana state holiday (La. R.S. 45:811(3))
    verdict = why_not(lead("+15045550100"), History(), utc("2027-02-09T16:00"), load("us"))
    assert rules_of(verdict) == ["us.la.state_holidays"]
    assert "Mardi Gras" in verdict.reasons[0].detail
    assert verdict.next_callable_at == utc("2027-02-10T14:00")  # Wednesday 8 am CST


def test_mississippi_and_louisiana_hold_sunday_calls_until_monday():
    verdict = why_not(lead("+16015550100"), History(), utc("2027-06-06T17:00"), load("us"))
    assert rules_of(verdict) == ["us.ms.calling_hours"]
    assert verdict.next_callable_at == utc("2027-06-07T13:00")  # Monday 8 am CDT


def test_a_florida_resident_with_an_ohio_number_gets_florida_hours():
    # given region FL from the lead and a ZIP in Miami
    verdict = why_not(
        lead("+16145550100", postal_code="33101"), History(), utc("2027-06-02T00:30"), load("us")
    )
    assert "us.fl.calling_hours" in rules_of(verdict)


def test_national_do_not_call_registry_blocks_for_good_without_consent():
    # 47 CFR 64.1200(c)(2)
    verdict = why_not(
        lead("+16025550100", on_dnc=("US-NDNC",)), History(), utc("2027-06-01T18:00"), load("us")
    )
    assert rules_of(verdict) == ["dnc.registry.US-NDNC"]
    assert verdict.next_callable_at is None


def test_written_permission_lets_a_call_through_the_national_registry():
    # 47 CFR 64.1200(c)(2)(ii)
    facts = lead("+16025550100", on_dnc=("US-NDNC",), consent_scopes=frozenset({"calls"}))
    assert why_not(facts, History(), utc("2027-06-01T18:00"), load("us")).callable is True


def test_a_do_not_call_me_request_wins_over_any_consent():
    facts = lead(
        "+16025550100", on_dnc=("client",), consent_scopes=frozenset({"calls", "automated"})
    )
    verdict = why_not(facts, History(), utc("2027-06-01T18:00"), load("us"))
    assert rules_of(verdict) == ["dnc.internal"]
    assert verdict.next_callable_at is None


def test_automated_dialling_of_a_mobile_needs_consent_under_the_tcpa():
    # 47 U.S.C. 227(b)(1)(A)(iii)
    mobile = lead("+16025550100", is_mobile=True)
    at = utc("2027-06-01T18:00")
    refused = why_not(mobile, History(), at, load("us"), automated=True)
    assert rules_of(refused) == ["us.automated_mobile_consent"]
    assert refused.next_callable_at is None
    assert why_not(mobile, History(), at, load("us"), automated=False).callable is True
    consented = LeadFacts(
        number="+16025550100", is_mobile=True, consent_scopes=frozenset({"automated"})
    )
    assert why_not(consented, History(), at, load("us"), automated=True).callable is True
    landline = lead("+16025550100", is_mobile=False)
    assert why_not(landline, History(), at, load("us"), automated=True).callable is True


def test_northwest_indiana_without_a_zip_is_checked_in_both_zones():
    # given 219 spans Central (Lake County) and Eastern; 13:30 UTC in January is
    # 8:30 am Eastern but 7:30 am Central
    verdict = why_not(lead("+12195550100"), History(), utc("2027-01-12T13:30"), load("us"))
    assert verdict.zones == ("America/Chicago", "America/New_York")
    assert verdict.reasons[0].detail.startswith("It is 7:30 am on Tuesday in America/Chicago")
    assert verdict.next_callable_at == utc("2027-01-12T14:00")


def test_a_hammond_zip_settles_northwest_indiana_on_central_time():
    verdict = why_not(
        lead("+12195550100", postal_code="46320"), History(), utc("2027-01-12T14:30"), load("us")
    )
    assert verdict.zones == ("America/Chicago",)
    assert verdict.callable is True


def test_the_navajo_nation_observes_dst_so_both_arizona_clocks_must_agree():
    # given Chinle, AZ 86503 in July: 14:30 UTC is 7:30 am MST (Phoenix) and 8:30 am MDT
    verdict = why_not(
        lead("+19285550100", postal_code="86503"), History(), utc("2027-07-14T14:30"), load("us")
    )
    assert verdict.zones == ("America/Denver", "America/Phoenix")
    assert verdict.next_callable_at == utc("2027-07-14T15:00")
    # and at 3:30 am UTC it is 8:30 pm MST but 9:30 pm MDT: too late on the Navajo clock
    late = why_not(
        lead("+19285550100", postal_code="86503"), History(), utc("2027-07-15T03:30"), load("us")
    )
    assert late.reasons[0].detail.startswith("It is 9:30 pm on Wednesday in America/Denver")


def test_flagstaff_keeps_phoenix_time_only():
    verdict = why_not(
        lead("+19285550100", postal_code="86001"), History(), utc("2027-07-14T15:30"), load("us")
    )
    assert verdict.zones == ("America/Phoenix",)


def test_uk_calls_follow_british_summer_time_from_its_first_morning():
    # given 28 March 2027, BST from 01:00 UTC; 06:30 UTC is 7:30 am BST
    verdict = why_not(lead("+442079460000"), History(), utc("2027-03-28T06:30"), load("gb"))
    assert verdict.zones == ("Europe/London",)
    assert verdict.next_callable_at == utc("2027-03-28T07:00")


def test_tps_registration_blocks_a_uk_call():
    # PECR reg. 21(1)(b)
    verdict = why_not(
        lead("+442079460000", on_dnc=("UK-TPS",)), History(), utc("2027-05-04T10:00"), load("gb")
    )
    assert rules_of(verdict) == ["dnc.registry.UK-TPS"]
    assert "regulation/21" in verdict.reasons[0].source


def test_australian_saturday_calls_end_at_5_pm_and_resume_monday_after_dst_ends():
    # given Saturday 3 April 2027, 5:30 pm AEDT in Sydney; no calls on Sunday; AEDT ends
    # on the Sunday, so Monday 9 am is AEST (UTC+10)
    verdict = why_not(lead("+61298765432"), History(), utc("2027-04-03T06:30"), load("au"))
    assert rules_of(verdict) == ["au.calling_hours"]
    assert verdict.reasons[0].detail == (
        "It is 5:30 pm on Saturday in Australia/Sydney; Australia allows calls from 9 am to "
        "5 pm on Saturdays."
    )
    assert verdict.next_callable_at == utc("2027-04-04T23:00")


def test_australia_day_is_a_national_public_holiday():
    verdict = why_not(lead("+61298765432"), History(), utc("2027-01-25T23:00"), load("au"))
    assert rules_of(verdict) == ["au.national_public_holidays"]
    assert verdict.next_callable_at == utc("2027-01-26T22:00")  # Wednesday 9 am AEDT


def test_an_australian_mobile_with_a_perth_postcode_keeps_perth_hours():
    verdict = why_not(
        lead("+61412345678", postal_code="6000"), History(), utc("2027-06-01T01:30"), load("au")
    )
    assert verdict.zones == ("Australia/Perth",)
    assert verdict.callable is True  # 9:30 am AWST


def test_lifetime_and_daily_caps_of_a_pack():
    # given a pack with two caps, per lead per local day and per number for life
    pack = parse(
        {
            **_pack_data("us"),
            "caps": [
                {
                    "rule": "house.daily",
                    "source": "Client policy",
                    "scope": "lead",
                    "period": "day",
                    "max": 2,
                },
                {
                    "rule": "house.life",
                    "source": "Client policy",
                    "scope": "number",
                    "period": "lifetime",
                    "max": 4,
                },
            ],
        },
        name="house",
    )
    facts = lead("+16025550100")
    two_today = History(attempts=(utc("2027-06-01T16:00"), utc("2027-06-01T17:00")))
    # when
    daily = why_not(facts, two_today, utc("2027-06-01T18:00"), pack)
    # then the next local day in Phoenix starts at 07:00 UTC, but 8 am is the window
    assert rules_of(daily) == ["house.daily"]
    assert daily.next_callable_at == utc("2027-06-02T15:00")
    # and two more attempts to the same number under another lead exhaust the lifetime cap
    other_leads = History(
        attempts=two_today.attempts,
        number_attempts=(utc("2027-05-01T16:00"), utc("2027-05-02T16:00")),
    )
    assert why_not(facts, other_leads, utc("2027-06-03T18:00"), pack).next_callable_at is None


def test_the_json_answer_gives_utc_and_local_times():
    verdict = why_not(
        lead("+16025550100", postal_code="85001"), History(), utc("2027-03-14T14:30"), load("us")
    )
    answer = as_json(verdict)
    assert answer["callable"] is False
    assert answer["next_callable_at"] == {
        "utc": "2027-03-14T15:00:00Z",
        "local": "2027-03-14T08:00:00-07:00",
        "zone": "America/Phoenix",
    }
    assert answer["reasons"][0]["rule"] == "us.calling_hours"
    assert answer["zones"] == ["America/Phoenix"]


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="must carry a time zone"):
        why_not(lead("+16025550100"), History(), datetime(2027, 6, 1, 12), load("us"))  # noqa: DTZ001


def test_a_number_that_is_not_e164_is_refused():
    with pytest.raises(ValueError, match=r"not a phone number in E\.164"):
        why_not(lead("602 555 0100"), History(), utc("2027-06-01T18:00"), load("us"))


def _pack_data(key: str) -> dict:
    import json

    from tercero.services.outbound.compliance.packs import PACKS_DIR

    return json.loads((PACKS_DIR / f"{key}.json").read_text())


@pytest.mark.parametrize(
    ("number", "at", "rule", "next_at"),
    [
        # Oklahoma, 15 O.S. 775C.4: 8:30 pm CDT on Tuesday 1 June 2027
        ("+14055550100", "2027-06-02T01:30", "us.ok.calling_hours", "2027-06-02T13:00"),
        # Maryland, Com. Law 14-4502: 8:30 pm EDT
        ("+13015550100", "2027-06-02T00:30", "us.md.calling_hours", "2027-06-02T12:00"),
        # Washington, RCW 80.36.390: 8:30 pm PDT
        ("+12065550100", "2027-06-02T03:30", "us.wa.calling_hours", "2027-06-02T15:00"),
        # Texas, Bus. & Com. Code 301.051: 8:30 am CDT on a weekday is before 9 am
        ("+12145550100", "2027-06-01T13:30", "us.tx.calling_hours", "2027-06-01T14:00"),
    ],
)
def test_state_windows_narrow_the_federal_one(number, at, rule, next_at):
    verdict = why_not(lead(number), History(), utc(at), load("us"))
    assert rules_of(verdict) == [rule]
    assert verdict.next_callable_at == utc(next_at)
