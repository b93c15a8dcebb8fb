"""Every Class 1 NI category letter HMRC publishes for 2026-27, worked by hand from
GOV.UK "Rates and thresholds for employers 2026 to 2027": monthly LEL 559, PT 1,048,
ST 417, UEL 4,189, FUST / IZUST 2,083 (weekly 242 PT, 96 ST, 967 UEL, 481 FUST);
employee 8 % (B, E, I: 1.85 %; J, L, D, Z: 2 %; C, S, K: nil) and 2 % above the UEL;
employer 15 %, nil up to the UEL for H, M, V, Z and up to the FUST / IZUST for the
freeport (F, I, L, S) and investment zone (N, E, D, K) letters.
"""

from decimal import Decimal

import pytest

from tercero.services.payroll import gb


@pytest.mark.parametrize(
    ("letter", "employee", "employer"),
    [
        ("A", "156.16", "387.45"),  # 1952 x 8 %; 2583 x 15 %
        ("B", "36.11", "387.45"),  # 1952 x 1.85 % = 36.112
        ("C", "0.00", "387.45"),
        ("J", "39.04", "387.45"),  # 1952 x 2 %
        ("H", "156.16", "0.00"),  # below the AUST (= UEL)
        ("M", "156.16", "0.00"),
        ("V", "156.16", "0.00"),
        ("Z", "39.04", "0.00"),
        ("F", "156.16", "137.55"),  # (3000 - 2083) x 15 %
        ("I", "36.11", "137.55"),
        ("L", "39.04", "137.55"),
        ("S", "0.00", "137.55"),
        ("N", "156.16", "137.55"),
        ("E", "36.11", "137.55"),
        ("D", "39.04", "137.55"),
        ("K", "0.00", "137.55"),
        ("X", "0.00", "0.00"),
    ],
)
def test_every_category_letter_on_a_month_of_3000(letter, employee, employer):
    result = gb.national_insurance(pay=Decimal("3000"), category=letter)
    assert (result.employee, result.employer) == (Decimal(employee), Decimal(employer))


def test_freeport_and_investment_zone_employers_pay_nothing_up_to_their_threshold():
    # a month of 2,000: under the FUST, so no employer NICs; the employee's are as for A
    for letter in "FILSNEDK":
        assert gb.national_insurance(pay=Decimal("2000"), category=letter).employer == 0
    assert gb.national_insurance(pay=Decimal("2000"), category="F").employee == Decimal("76.16")


def test_reliefs_up_to_the_uel_charge_employer_nics_above_it():
    # a month of 5,000: (5000 - 4189) x 15 % = 121.65 for H, M, V, Z; the employee's
    # (4189 - 1048) x 8 % = 251.28 + 811 x 2 % = 16.22 -> 267.50 (Z: 62.82 + 16.22)
    for letter in "HMV":
        result = gb.national_insurance(pay=Decimal("5000"), category=letter)
        assert (result.employee, result.employer) == (Decimal("267.50"), Decimal("121.65"))
    z = gb.national_insurance(pay=Decimal("5000"), category="Z")
    assert (z.employee, z.employer) == (Decimal("79.04"), Decimal("121.65"))


def test_freeport_thresholds_by_pay_frequency():
    # weekly 600: (600 - 242) x 8 % = 28.64; (600 - 481) x 15 % = 17.85
    weekly = gb.national_insurance(pay=Decimal("600"), category="F", frequency="weekly")
    assert (weekly.employee, weekly.employer) == (Decimal("28.64"), Decimal("17.85"))
    # fortnightly 1,000: FUST 2 x 481 = 962: (1000 - 962) x 15 % = 5.70
    fortnight = gb.national_insurance(pay=Decimal("1000"), category="N", frequency="biweekly")
    assert fortnight.employer == Decimal("5.70")
    # four-weekly 2,000: FUST 1,924: 76 x 15 % = 11.40
    four = gb.national_insurance(pay=Decimal("2000"), category="L", frequency="four_weekly")
    assert four.employer == Decimal("11.40")


def test_the_letters_the_calculation_knows_are_hmrcs_for_2026_27():
    assert gb.known_ni_categories() == frozenset("ABCDEFHIJKLMNSVXZ")
