"""`tercero outbound why-not`: the compliance answer from the command line, as JSON."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tercero.services.outbound.management.commands.outbound import Command


def why_not(*arguments: str) -> dict:
    out = StringIO()
    call_command(Command(), "why-not", *arguments, stdout=out)
    return json.loads(out.getvalue())


def test_the_issue_example_phoenix_at_8_30_am_is_callable():
    # given 15:30 UTC on the day US DST begins: Arizona stays on MST, 8:30 am
    answer = why_not(
        "--number",
        "+16025550100",
        "--postal-code",
        "85001",
        "--at",
        "2027-03-14T15:30:00Z",
        "--pack",
        "us",
    )
    assert answer == {
        "callable": True,
        "reasons": [],
        "next_callable_at": {
            "utc": "2027-03-14T15:30:00Z",
            "local": "2027-03-14T08:30:00-07:00",
            "zone": "America/Phoenix",
        },
        "zones": ["America/Phoenix"],
    }


def test_too_early_names_the_rule_its_source_and_the_next_moment():
    answer = why_not("--number", "+16025550100", "--at", "2027-03-14T14:30:00Z", "--pack", "us")
    assert answer["callable"] is False
    assert [reason["rule"] for reason in answer["reasons"]] == ["us.calling_hours"]
    assert "47 CFR 64.1200(c)(1)" in answer["reasons"][0]["source"]
    assert answer["next_callable_at"]["utc"] == "2027-03-14T15:00:00Z"
    assert answer["next_callable_at"]["local"] == "2027-03-14T08:00:00-07:00"


def test_florida_attempts_and_the_national_registry():
    # given three attempts today to a Miami number (Fla. Stat. 501.616(6)(b))
    attempts = "2027-06-01T13:00:00Z,2027-06-01T14:00:00Z,2027-06-01T15:00:00Z"
    answer = why_not(
        "--number",
        "+13055550123",
        "--at",
        "2027-06-01T16:00:00Z",
        "--pack",
        "us",
        "--attempts",
        attempts,
    )
    assert [reason["rule"] for reason in answer["reasons"]] == ["us.fl.three_calls_per_24_hours"]
    assert answer["next_callable_at"]["utc"] == "2027-06-02T13:00:00Z"
    # and on the national registry it is never callable
    listed = why_not(
        "--number",
        "+13055550123",
        "--at",
        "2027-06-01T16:00:00Z",
        "--pack",
        "us",
        "--dnc",
        "US-NDNC",
    )
    assert listed["callable"] is False
    assert listed["next_callable_at"] is None


def test_automated_calls_to_a_mobile_need_consent():
    arguments = (
        "--number",
        "+16025550100",
        "--at",
        "2027-06-01T18:00:00Z",
        "--pack",
        "us",
        "--automated",
    )
    assert why_not(*arguments, "--mobile")["reasons"][0]["rule"] == "us.automated_mobile_consent"
    assert why_not(*arguments, "--landline")["callable"] is True
    assert why_not(*arguments, "--mobile", "--consent", "automated")["callable"] is True


def test_uk_and_australian_packs():
    assert (
        why_not("--number", "+442079460000", "--at", "2027-03-28T07:30:00Z", "--pack", "gb")[
            "callable"
        ]
        is True
    )
    sunday = why_not("--number", "+61298765432", "--at", "2027-04-04T01:00:00Z", "--pack", "au")
    assert sunday["callable"] is False
    assert sunday["next_callable_at"]["local"] == "2027-04-05T09:00:00+10:00"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--number", "602 555 0100", "--pack", "us"), r"not a phone number in E\.164"),
        (("--number", "+16025550100", "--pack", "zz"), "No rule pack 'zz'"),
        (
            ("--number", "+16025550100", "--pack", "us", "--at", "2027-03-14 15:30"),
            "--at: .* has no time zone",
        ),
        (
            ("--number", "+16025550100", "--pack", "us", "--at", "tomorrow"),
            "--at: 'tomorrow' is not an ISO 8601",
        ),
        (
            ("--number", "+16025550100", "--pack", "us", "--attempts", "yesterday"),
            "--attempts: 'yesterday'",
        ),
        (
            (
                "--pack",
                "us",
            ),
            "--number",
        ),
    ],
)
def test_bad_input_is_a_clear_error(arguments, message):
    with pytest.raises(CommandError, match=message):
        why_not(*arguments)


def test_the_command_is_installed_as_tercero_outbound():
    # when called by its name, as `tercero outbound why-not ...` does
    out = StringIO()
    call_command(
        "outbound",
        "why-not",
        "--number",
        "+16025550100",
        "--at",
        "2027-03-14T15:30:00Z",
        "--pack",
        "us",
        stdout=out,
    )
    # then one JSON object on one line
    assert out.getvalue().count("\n") <= 1
    assert json.loads(out.getvalue())["callable"] is True
