"""United Kingdom student and postgraduate loan deductions, as HMRC's employer guidance
"Collection of student loans" (and GOV.UK "Rates and thresholds for employers 2026 to
2027") has them, driven by the year's pack (`packs/gb-<year>.json`, "student_loans"):

- An employee holds any of plans 1, 2, 4 and 5 (from a start notice SL1 or their new
  starter checklist), and may also hold a postgraduate loan (PGL).
- The period threshold is the yearly one / 52 for a week (times the weeks of a
  fortnightly or four-weekly pay period) or / 12 for a month, rounded down to the penny
  (HMRC's published 2025-26 figures: Plan 4 629.71 a week, PGL 403.84).
- Earnings are the earnings for Class 1 NICs in the period (a net pay pension does not
  reduce them). Not cumulative: each period stands alone, and nothing is refunded.
- Plans: 9 % of earnings above the threshold, rounded down to the whole pound. With more
  than one plan, 9 % above the lowest of their thresholds, one deduction (HMRC shares it
  between the plans). A postgraduate loan: 6 % above its own threshold, rounded down to
  the pound, as well as any plan.
"""

from decimal import ROUND_FLOOR, Decimal

from tercero.platform.errors import InvalidInput

PLANS = ("1", "2", "4", "5")
POSTGRADUATE = "PGL"
# pay frequency -> (the yearly figure's divisor, how many of those periods one pay covers)
DIVISORS = {"weekly": (52, 1), "biweekly": (52, 2), "four_weekly": (52, 4), "monthly": (12, 1)}
PENNY = Decimal("0.01")
POUND = Decimal("1")


def parse_plans(text: str) -> str:
    """The loans an employee repays, as stored: e.g. "2 PGL" from "plan 2, pgl"; blank
    for none. Anything else is refused where it is entered."""
    words = (text or "").upper().replace(",", " ").replace("PLAN", " ").split()
    unknown = [word for word in words if word not in (*PLANS, POSTGRADUATE)]
    if unknown:
        raise InvalidInput(
            f"{text!r} is not a list of student loan plans.",
            fields={"student_loan_plans": "plans 1, 2, 4, 5 and PGL, e.g. 2 PGL"},
        )
    held = set(words)
    return " ".join(plan for plan in (*PLANS, POSTGRADUATE) if plan in held)


def period_threshold(yearly: Decimal, frequency: str) -> Decimal:
    """A yearly threshold for one pay period, rounded down to the penny per week or
    month first."""
    try:
        divisor, multiple = DIVISORS[frequency]
    except KeyError:
        raise InvalidInput(
            "Student loans are deducted weekly, fortnightly, four-weekly or monthly.",
            fields={"frequency": frequency},
        ) from None
    return (yearly / divisor).quantize(PENNY, rounding=ROUND_FLOOR) * multiple


def _above(earnings: Decimal, threshold: Decimal, rate: Decimal) -> Decimal:
    return max((earnings - threshold) * rate, Decimal(0)).quantize(POUND, rounding=ROUND_FLOOR)


def plan_deduction(*, earnings: Decimal, plans: str, frequency: str, rates: dict) -> Decimal:
    """The period's student loan deduction (plans 1, 2, 4, 5) in whole pounds."""
    held = [plan for plan in plans.split() if plan in PLANS]
    if not held:
        return Decimal(0)
    table = rates["student_loans"]
    lowest = min(Decimal(table["plans"][plan]) for plan in held)
    return _above(earnings, period_threshold(lowest, frequency), Decimal(table["rate"]))


def postgraduate_deduction(
    *, earnings: Decimal, plans: str, frequency: str, rates: dict
) -> Decimal:
    """The period's postgraduate loan deduction in whole pounds."""
    if POSTGRADUATE not in plans.split():
        return Decimal(0)
    table = rates["student_loans"]["postgraduate"]
    threshold = period_threshold(Decimal(table["threshold"]), frequency)
    return _above(earnings, threshold, Decimal(table["rate"]))
