"""Batch acceptance by ISO 2859-1 single sampling plans, normal inspection.

ISO 2859-1:1999 "Sampling procedures for inspection by attributes -- Part 1" (the same tables
as ANSI/ASQ Z1.4-2003 and MIL-STD-105E): Table 1 gives a sample size code letter for the lot
size and inspection level; Table 2-A gives, for that letter and the AQL, the sample size n, the
acceptance number Ac and the rejection number Re. Both tables are written out below cell by
cell as printed, arrows included, and the arrows are followed in code:

- ↓ use the first sampling plan below the arrow (a larger sample),
- ↑ use the first sampling plan above the arrow (a smaller sample),

and in both cases the sample size is the one of the letter where the plan is found, not the
letter Table 1 gave. When that sample size equals or exceeds the lot size, the whole lot is
inspected (the note to Table 2-A), against the same Ac and Re.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")

# fmt: off
AQLS: tuple[str, ...] = (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
    "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65",
    "100", "150", "250", "400", "650", "1000",
)
# fmt: on

# Table 1 -- Sample size code letters. One row per lot-size band: the smallest lot in the
# band, the largest (None: "500 001 and over"), then the letters under S-1 S-2 S-3 S-4 I II III.
TABLE_1: tuple[tuple[int, int | None, str], ...] = (
    (2, 8, "A A A A A A B"),
    (9, 15, "A A A A A B C"),
    (16, 25, "A A B B B C D"),
    (26, 50, "A B B C C D E"),
    (51, 90, "B B C C C E F"),
    (91, 150, "B B C D D F G"),
    (151, 280, "B C D E E G H"),
    (281, 500, "B C D E F H J"),
    (501, 1200, "C C E F G J K"),
    (1201, 3200, "C D E G H K L"),
    (3201, 10000, "C D F G J L M"),
    (10001, 35000, "C D F H K M N"),
    (35001, 150000, "D E G J L N P"),
    (150001, 500000, "D E G J M P Q"),
    (500001, None, "D E H K N Q R"),
)

# Table 2-A -- Single sampling plans for normal inspection (master table). The sample size
# of each code letter, then per letter the 26 cells under the AQLs above, "Ac/Re" or an
# arrow, split after AQL 1.0 to keep lines short.
SAMPLE_SIZES: dict[str, int] = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
    "R": 2000,
}
TABLE_2A: dict[str, tuple[str, str]] = {
    "A": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓", "↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31"),
    "B": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓", "↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45"),
    "C": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓", "↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ↑"),
    "D": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓", "0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ↑ ↑"),
    "E": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1", "↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ↑ ↑ ↑"),
    "F": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑", "↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑"),
    "G": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓", "1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "H": ("↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2", "2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "J": ("↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3", "3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "K": ("↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4", "5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "L": ("↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6", "7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "M": ("↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8", "10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "N": ("↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11", "14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "P": ("↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15", "21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "Q": ("0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22", "↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
    "R": ("↑ ↑ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑", "↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑"),
}

CODE_LETTERS = tuple(TABLE_2A)
DOWN, UP = "↓", "↑"


@dataclass(frozen=True)
class Plan:
    """A single sampling plan: inspect `n` items; accept the lot with at most `accept` defects."""

    code: str
    n: int
    accept: int
    reject: int
    lot_size: int
    aql: str
    level: str

    @property
    def inspects_whole_lot(self) -> bool:
        """The plan's sample is the whole lot (its letter asked for as many items or more)."""
        return self.n == self.lot_size

    @property
    def lot_code(self) -> str:
        """The letter Table 1 gave for the lot, before any arrow moved to another letter."""
        return code_letter(self.lot_size, self.level)

    def as_json(self) -> dict[str, Any]:
        """The plan as printed by `tercero quality sample`: code, n, accept, reject."""
        return {"code": self.code, "n": self.n, "accept": self.accept, "reject": self.reject}


def code_letter(lot_size: int, level: str = "II") -> str:
    """Table 1: the sample size code letter for a lot of `lot_size` items at `level`."""
    _check_lot_size(lot_size)
    column = _level_column(level)
    for smallest, largest, letters in TABLE_1:
        if smallest <= lot_size and (largest is None or lot_size <= largest):
            return letters.split()[column]
    raise AssertionError("unreachable: Table 1 covers every lot of 2 or more")  # pragma: no cover


def plan(lot_size: int, aql: str | float, level: str = "II") -> Plan:
    """The ISO 2859-1 single sampling plan, normal inspection, for the lot, AQL and level."""
    label = aql_label(aql)
    letter = code_letter(lot_size, level)
    found, accept, reject = _follow_arrows(letter, AQLS.index(label))
    sample = min(SAMPLE_SIZES[found], lot_size)
    return Plan(found, sample, accept, reject, lot_size, label, level)


def decide(plan: Plan, defects: int) -> Literal["accept", "reject"]:
    """Accept the lot with at most Ac defects in the sample; reject it with Re or more."""
    if defects < 0:
        raise ValueError("The number of defects cannot be negative.")
    return "accept" if defects <= plan.accept else "reject"


def aql_label(aql: str | float) -> str:
    """The AQL as Table 2-A prints it: 1, "1" and "1.0" are all "1.0"."""
    if not isinstance(aql, bool):
        try:
            value = Decimal(str(aql).strip())
        except InvalidOperation:
            value = None
        if value is not None and value.is_finite():
            for label in AQLS:
                if Decimal(label) == value:
                    return label
    raise ValueError(f"The AQL must be one of {', '.join(AQLS)} (ISO 2859-1 Table 2-A), not {aql}.")


def _follow_arrows(letter: str, column: int) -> tuple[str, int, int]:
    """Walk up or down Table 2-A's column from `letter` to the first printed plan."""
    row = CODE_LETTERS.index(letter)
    while True:
        cell = _cells(CODE_LETTERS[row])[column]
        if cell == DOWN:
            row += 1
        elif cell == UP:
            row -= 1
        else:
            accept, reject = cell.split("/")
            return CODE_LETTERS[row], int(accept), int(reject)


def _cells(letter: str) -> list[str]:
    first, second = TABLE_2A[letter]
    return [*first.split(), *second.split()]


def _level_column(level: str) -> int:
    if level not in LEVELS:
        raise ValueError(f"The inspection level must be one of {', '.join(LEVELS)}, not {level}.")
    return LEVELS.index(level)


def _check_lot_size(lot_size: int) -> None:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 2:
        raise ValueError(f"A lot must hold 2 items or more (ISO 2859-1 Table 1), not {lot_size}.")
