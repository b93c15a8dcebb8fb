"""`tercero demo` gives Northwind a United States payroll that deducts US taxes: every
fortnight of 2026 up to today paid on time, the next run awaiting Northwind's approval, a
Form 941 that adds up, and a second load changes nothing. Loaded on 7 December 2026."""

import copy
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.payroll import us_demo, us_forms
from tercero.services.payroll.models import PayGroup, PayResult, PayRun

pytestmark = pytest.mark.django_db
LOADED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded_once(module_db):
    with module_db.unblock(), time_machine.travel(LOADED_AT, tick=True):
        call_command("demo", verbosity=0)
        with all_clients_scope():
            return PayGroup.objects.get(name=us_demo.PAY_GROUP)


@pytest.fixture
def loaded(in_module_db, loaded_once):
    with all_clients_scope():
        yield copy.deepcopy(loaded_once)


def _lines(result: PayResult) -> dict[str, int]:
    return {code: amount for code, _name, _category, amount in result.lines}


def test_the_demo_us_payroll_deducts_federal_and_pennsylvania_taxes(loaded):
    # protects: the demo's US client whose payroll deducted no tax at all
    assert loaded.client.legal_name == "Northwind Commerce Inc"
    assert loaded.jurisdiction == "US"
    finalised = PayRun.objects.filter(pay_group=loaded, status=PayRun.Status.FINALISED)
    assert finalised.count() == 24
    assert all(run.work_item.status == "resolved" and run.work_item.sla_met for run in finalised)
    waiting = PayRun.objects.get(pay_group=loaded, status=PayRun.Status.SUBMITTED)
    assert waiting.pay_date == date(2026, 12, 18)
    assert waiting.work_item.due_at > LOADED_AT
    # (the first quarter: later in the year the best paid pass Social Security's wage base)
    first_quarter = PayResult.objects.filter(run__pay_date__lt=date(2026, 4, 1))
    for result in first_quarter.filter(run__pay_group=loaded, gross_minor__gt=0):
        lines = _lines(result)
        assert lines["SS"] > 0
        assert lines["MEDICARE"] > 0
        assert lines["STATE_TAX"] > 0
        assert lines["FUTA"] >= 0
        assert result.net_minor == result.gross_minor - result.deductions_minor
    # federal income tax withheld from the salaried staff; none from the employee whose
    # Form W-4 claims exemption (Social Security and Medicare still are)
    by_number: dict[str, list[dict[str, int]]] = {}
    for result in PayResult.objects.filter(run__pay_group=loaded).select_related("employee"):
        by_number.setdefault(result.employee.employee_number, []).append(_lines(result))
    for index, person in enumerate(us_demo.STAFF, start=1):
        if person.salary and person.start.year < 2026:
            assert all(lines["FIT"] > 0 for lines in by_number[us_demo.employee_number(index)])
    exempt = by_number[us_demo.employee_number(12)]
    assert all(lines["FIT"] == 0 and lines["SS"] > 0 for lines in exempt)


def test_the_demo_first_quarter_form_941_adds_up(loaded):
    # protects: a Form 941 that does not match the paychecks it reports
    form = us_forms.form_941(group=loaded, year=2026, quarter=1)
    results = PayResult.objects.filter(
        run__pay_group=loaded, run__status="finalised", run__pay_date__lt=date(2026, 4, 1)
    )
    assert form.sums.wages == sum(r.gross_minor for r in results)
    assert form.line_1 == 12
    assert form.line_10 == form.line_6 + form.line_7
    assert abs(form.line_7) < 100  # a few cents of rounding, never dollars


@time_machine.travel(LOADED_AT, tick=True)
def test_loading_the_demo_again_changes_nothing(loaded):
    # protects: a second `tercero demo` paying Northwind's staff twice
    def counts():
        with all_clients_scope():
            return {m._meta.label: m._base_manager.count() for m in apps.get_models()
                    if m._meta.managed and not m._meta.proxy}  # fmt: skip

    before = counts()
    call_command("demo", verbosity=0)
    assert counts() == before
