"""A pay group full of generated employees, written in bulk: the load for the crash
test, the benchmark and the demo. Deterministic for a seed: the same seed gives the
same people, codes, categories, salaries and inputs.

Generated staff carry no personal data (names and accounts are added by the demo for
its few shown employees); what pay depends on is varied on purpose: tax codes of every
kind (suffix, K, BR, D0, D1, NT, 0T, Month 1, Scottish and Welsh), NI categories (freeport
and investment zone letters among them), student and postgraduate loans, salaries from
12,000 to 250,000 a year (some above the higher-rate band and the UEL), hourly staff with hours
and overtime, bonuses and one-off deductions.
"""

import random
from datetime import date

from tercero.services.payroll.models import Employee, Employment, PayGroup, PayInput, PayRun

TAX_CODES = ("1257L",) * 6 + ("K475", "BR", "D0", "D1", "NT", "0T", "1257L M1", "1100L") + (
    "S1257L", "SK475", "SD2", "S0T", "C1257L", "CBR", "CD1",
)  # fmt: skip
NI_CATEGORIES = ("A",) * 8 + ("B", "C", "H", "J", "M", "F", "I", "N", "S", "V", "Z")
STUDENT_LOANS = ("",) * 8 + ("1", "2", "4", "5", "PGL", "2 PGL")


def add_employees(*, pay_group: PayGroup, count: int, seed: int = 7, start: date, prefix="G"):
    """`count` employees with one employment each in `pay_group` from `start`; their
    numbers start with `prefix` (unique per call). Returns their ids in order."""
    rng = random.Random(seed)
    employees = [
        Employee(
            client_id=pay_group.client_id,
            employee_number=f"{prefix}{index:07d}",
            full_name="",
            country=pay_group.jurisdiction,
            tax_code=rng.choice(TAX_CODES),
            ni_category=rng.choice(NI_CATEGORIES),
            student_loan_plans=rng.choice(STUDENT_LOANS),
        )
        for index in range(count)
    ]
    Employee.objects.bulk_create(employees, batch_size=5000)
    ids = dict(
        Employee.objects.filter(
            client_id=pay_group.client_id, employee_number__startswith=prefix
        ).values_list("employee_number", "pk")
    )
    rows = []
    for employee in employees:
        hourly = rng.random() < 0.2
        rows.append(
            Employment(
                client_id=pay_group.client_id,
                employee_id=ids[employee.employee_number],
                valid_from=start,
                pay_group=pay_group,
                annual_salary_minor=None if hourly else rng.randrange(1_200_000, 25_000_000),
                hourly_rate_minor=rng.randrange(1_100, 6_000) if hourly else None,
                currency=pay_group.currency,
                reason="hire",
            )
        )
    Employment.objects.bulk_create(rows, batch_size=5000)
    return [ids[employee.employee_number] for employee in employees]


def add_inputs(*, run: PayRun, employee_ids: list[int], seed: int = 11) -> int:
    """Hours for hourly staff, and bonuses, overtime and deductions for some others."""
    rng = random.Random(seed)
    hourly = set(
        Employment.objects.filter(
            pay_group=run.pay_group, hourly_rate_minor__isnull=False
        ).values_list("employee_id", flat=True)
    )
    rows = []
    for employee_id in employee_ids:
        given = {}
        if employee_id in hourly:
            given["hours"] = f"{rng.randrange(40, 180)}.{rng.choice(['0', '25', '5', '75'])}"
            if rng.random() < 0.3:
                given["overtime_hours"] = str(rng.randrange(1, 30))
        if rng.random() < 0.1:
            given["bonus"] = f"{rng.randrange(50, 5000)}.{rng.randrange(0, 100):02d}"
        if rng.random() < 0.05:
            given["deduction"] = f"{rng.randrange(5, 300)}.{rng.randrange(0, 100):02d}"
        rows.extend(
            PayInput(client_id=run.client_id, run=run, employee_id=employee_id, name=k, value=v)
            for k, v in given.items()
        )
    PayInput.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
