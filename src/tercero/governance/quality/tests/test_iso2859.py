"""ISO 2859-1 single sampling plans, normal inspection, against the printed tables.

ISO 2859-1:1999 (= ANSI/ASQ Z1.4-2003 = MIL-STD-105E), Table 1 (sample size code letters)
and Table 2-A (single sampling plans for normal inspection). No sound implementation of these
tables is on PyPI (the one there, garment-aql-calculator 1.0.0, keeps the Table 1 letter's
sample size when an arrow moves to another letter), so the level II grid below is written out
by hand: every lot-size band x every AQL -> the letter whose plan the arrows lead to, and its
Ac/Re. It was checked cell by cell against the resolved matrices of the AQLSchemes R package
(J. Lawson), which agree on all 16 letters x 26 AQLs.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tercero.governance.quality import iso2859

# Table 2-A, the sample size column.
SIZES = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
    "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
}  # fmt: skip

# Level II: band -> 26 cells under AQL 0.010 ... 1000, each "<letter><Ac>/<Re>" after the
# arrows are followed (the letter gives the sample size).
LEVEL_II = {
    "2-8": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 D0/1 C0/1 B0/1"
        " A0/1 C1/2 B1/2 A1/2 A2/3 A3/4 A5/6 A7/8 A10/11 A14/15 A21/22 A30/31"
    ),
    "9-15": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 D0/1 C0/1 B0/1"
        " A0/1 C1/2 B1/2 B2/3 B3/4 B5/6 B7/8 B10/11 B14/15 B21/22 B30/31 B44/45"
    ),
    "16-25": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 D0/1 C0/1 B0/1"
        " D1/2 C1/2 C2/3 C3/4 C5/6 C7/8 C10/11 C14/15 C21/22 C30/31 C44/45 B44/45"
    ),
    "26-50": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 D0/1 C0/1 E1/2"
        " D1/2 D2/3 D3/4 D5/6 D7/8 D10/11 D14/15 D21/22 D30/31 D44/45 C44/45 B44/45"
    ),
    "51-90": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 D0/1 F1/2 E1/2"
        " E2/3 E3/4 E5/6 E7/8 E10/11 E14/15 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "91-150": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 E0/1 G1/2 F1/2 F2/3"
        " F3/4 F5/6 F7/8 F10/11 F14/15 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "151-280": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 F0/1 H1/2 G1/2 G2/3 G3/4"
        " G5/6 G7/8 G10/11 G14/15 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "281-500": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 G0/1 J1/2 H1/2 H2/3 H3/4 H5/6"
        " H7/8 H10/11 H14/15 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "501-1200": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 H0/1 K1/2 J1/2 J2/3 J3/4 J5/6 J7/8"
        " J10/11 J14/15 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "1201-3200": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 J0/1 L1/2 K1/2 K2/3 K3/4 K5/6 K7/8 K10/11"
        " K14/15 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "3201-10000": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 K0/1 M1/2 L1/2 L2/3 L3/4 L5/6 L7/8 L10/11 L14/15"
        " L21/22 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "10001-35000": (
        "Q0/1 P0/1 N0/1 M0/1 L0/1 N1/2 M1/2 M2/3 M3/4 M5/6 M7/8 M10/11 M14/15 M21/22"
        " L21/22 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "35001-150000": (
        "Q0/1 P0/1 N0/1 M0/1 P1/2 N1/2 N2/3 N3/4 N5/6 N7/8 N10/11 N14/15 N21/22 M21/22"
        " L21/22 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "150001-500000": (
        "Q0/1 P0/1 N0/1 Q1/2 P1/2 P2/3 P3/4 P5/6 P7/8 P10/11 P14/15 P21/22 N21/22 M21/22"
        " L21/22 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
    "500001-": (
        "Q0/1 P0/1 R1/2 Q1/2 Q2/3 Q3/4 Q5/6 Q7/8 Q10/11 Q14/15 Q21/22 P21/22 N21/22 M21/22"
        " L21/22 K21/22 J21/22 H21/22 G21/22 F21/22 E21/22 E30/31 E44/45 D44/45 C44/45 B44/45"
    ),
}


def _band_ends(band: str) -> tuple[int, ...]:
    low, _, high = band.partition("-")
    return (int(low), int(high)) if high else (int(low), 10_000_000)


@pytest.mark.parametrize("band", LEVEL_II)
def test_every_aql_of_every_band_at_level_ii_matches_the_printed_table(band):
    for lot in _band_ends(band):
        for aql, cell in zip(iso2859.AQLS, LEVEL_II[band].split(), strict=True):
            letter, numbers = cell[0], cell[1:]
            accept, reject = (int(number) for number in numbers.split("/"))
            chosen = iso2859.plan(lot, aql)
            expected = (letter, min(SIZES[letter], lot), accept, reject)
            assert (chosen.code, chosen.n, chosen.accept, chosen.reject) == expected, (lot, aql)


def test_the_standards_own_example_lot_of_2000_at_aql_one_is_k_125_accept_3_reject_4():
    # the issue and every Z1.4 primer: 1,201-3,200 at level II is K, n = 125; AQL 1.0 is 3/4
    chosen = iso2859.plan(2000, "1.0")
    assert chosen == iso2859.Plan("K", 125, 3, 4, 2000, "1.0", "II")
    assert json.dumps(chosen.as_json()) == '{"code": "K", "n": 125, "accept": 3, "reject": 4}'


@pytest.mark.parametrize(
    ("lot", "aql", "level", "plan"),
    [
        (2400, 2.5, "II", ("K", 125, 7, 8)),  # plain cells, read straight off the table
        (5000, 2.5, "II", ("L", 200, 10, 11)),
        (1000, 0.65, "II", ("J", 80, 1, 2)),
        (1000, 1.0, "II", ("J", 80, 2, 3)),
        (400, 2.5, "II", ("H", 50, 3, 4)),
        (10000, 1.5, "II", ("L", 200, 7, 8)),
        (20000, 0.65, "II", ("M", 315, 5, 6)),
        (100000, 1.0, "II", ("N", 500, 10, 11)),
        (300000, 0.40, "II", ("P", 800, 7, 8)),
        (1000000, 1.0, "II", ("Q", 1250, 21, 22)),
        (3000, 0.15, "II", ("J", 80, 0, 1)),  # K under 0.15 is an up arrow: J's 0/1
        (3000, 0.25, "II", ("L", 200, 1, 2)),  # K under 0.25 is a down arrow: L's 1/2
        (1000000, 0.025, "III", ("R", 2000, 1, 2)),  # R, reached only at level III
        (1000000, 0.010, "III", ("Q", 1250, 0, 1)),  # R under 0.010 points up to Q
        (5, 10, "II", ("C", 5, 1, 2)),  # A under 10 points down two rows to C's 1/2
        (3000, 1000, "S-1", ("B", 3, 44, 45)),  # C under 1000 points up to B's 44/45
    ],
)
def test_cells_read_from_the_printed_table(lot, aql, level, plan):
    chosen = iso2859.plan(lot, aql, level)
    assert (chosen.code, chosen.n, chosen.accept, chosen.reject) == plan


def test_a_sample_as_large_as_the_lot_means_inspecting_the_whole_lot():
    # given a lot of 50 (letter D) at AQL 0.10: the arrow leads down to K, n = 125
    chosen = iso2859.plan(50, "0.10")
    # then all 50 are inspected, against K's plan
    assert (chosen.code, chosen.n, chosen.accept, chosen.reject) == ("K", 50, 0, 1)
    assert chosen.inspects_whole_lot
    assert chosen.lot_code == "D"
    assert not iso2859.plan(2000, "1.0").inspects_whole_lot


@pytest.mark.parametrize(
    ("band", "letters"),
    [
        ((2, 8), "A A A A A A B"),
        ((16, 25), "A A B B B C D"),
        ((281, 500), "B C D E F H J"),
        ((1201, 3200), "C D E G H K L"),
        ((500001, 10**9), "D E H K N Q R"),
    ],
)
def test_table_1_code_letters_at_both_ends_of_a_band(band, letters):
    for lot in band:
        found = [iso2859.code_letter(lot, level) for level in iso2859.LEVELS]
        assert found == letters.split()


@pytest.mark.parametrize("aql", [1, "1", "1.0", 1.0, "1.00", " 1.0 "])
def test_an_aql_of_one_in_any_spelling_is_the_tables_1_0(aql):
    assert iso2859.plan(2000, aql).aql == "1.0"


@pytest.mark.parametrize(("given", "label"), [(0.1, "0.10"), ("0.01", "0.010"), (10.0, "10")])
def test_aqls_are_kept_as_the_table_prints_them(given, label):
    assert iso2859.aql_label(given) == label


@pytest.mark.parametrize("aql", [2, "0.3", "abc", "", True, float("nan"), -1])
def test_an_aql_not_in_the_table_is_refused_with_the_valid_ones(aql):
    with pytest.raises(ValueError, match=r"must be one of 0\.010, 0\.015, .*, 650, 1000"):
        iso2859.plan(2000, aql)


@pytest.mark.parametrize("lot", [1, 0, -5])
def test_a_lot_of_fewer_than_two_items_is_refused(lot):
    with pytest.raises(ValueError, match="2 items or more"):
        iso2859.plan(lot, "1.0")


def test_an_unknown_inspection_level_is_refused():
    with pytest.raises(ValueError, match="S-1, S-2, S-3, S-4, I, II, III"):
        iso2859.plan(2000, "1.0", "IV")


def test_decide_accepts_up_to_ac_and_rejects_from_re():
    chosen = iso2859.plan(2000, "1.0")
    assert [iso2859.decide(chosen, defects) for defects in (0, 3, 4, 125)] == [
        "accept",
        "accept",
        "reject",
        "reject",
    ]
    with pytest.raises(ValueError, match="negative"):
        iso2859.decide(chosen, -1)


def test_every_cell_of_table_2a_leads_to_a_plan_inside_the_table():
    for letter in iso2859.CODE_LETTERS:
        for column in range(len(iso2859.AQLS)):
            found, accept, reject = iso2859._follow_arrows(letter, column)
            assert found in iso2859.SAMPLE_SIZES
            assert reject == accept + 1


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=2, max_value=2_000_000),
    st.sampled_from(iso2859.AQLS),
    st.sampled_from(iso2859.LEVELS),
)
def test_a_plan_depends_on_the_band_only_except_the_whole_lot_cap(lot, aql, level):
    band_start = next(low for low, high, _ in iso2859.TABLE_1 if high is None or lot <= high)
    here, start = iso2859.plan(lot, aql, level), iso2859.plan(band_start, aql, level)
    assert (here.code, here.accept, here.reject) == (start.code, start.accept, start.reject)
    assert here.n == min(SIZES[here.code], lot)
    assert here.reject == here.accept + 1
