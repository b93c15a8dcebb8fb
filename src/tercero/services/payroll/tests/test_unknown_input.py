"""Unknown input is refused where it enters, and one employee the calculation cannot
pay is held and flagged while the others are paid (issue 18, case 4)."""

from decimal import Decimal

import pytest

from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import gb, runs
from tercero.services.payroll.models import Employee, PayResult, PayRun
from tercero.services.payroll.tests.factories import calculated, hire, uk_group
from tercero.services.payroll.worktypes import HrEventPayload


@pytest.fixture
def group(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        yield group


@pytest.mark.parametrize("letter", ["Q", "G", "W", "1"])
def test_hiring_with_an_ni_category_the_calculation_does_not_know_is_refused(
    tenant_a, group, letter
):
    # protects: a run stuck in "calculating" on a letter accepted at hire
    with pytest.raises(InvalidInput) as refused:
        hire(tenant_a.team_lead, group, "E-1", ni_category=letter)
    assert "ni_category" in refused.value.fields
    assert not Employee.objects.exists()


def test_an_hr_request_with_an_unknown_ni_category_is_refused_when_asked():
    # protects: the client's request form accepting a letter the run cannot pay
    with pytest.raises(ValueError, match="NI category"):
        HrEventPayload(event="hire", employee_number="E-1", effective="2026-04-06",
                       full_name="A B", pay_group="UK monthly", annual_salary="30000",
                       ni_category="Q")  # fmt: skip


@pytest.mark.parametrize("letter", list("ABCDEFHIJKLMNSVXZ"))
def test_every_category_the_calculation_knows_is_accepted(tenant_a, group, letter):
    employee = hire(tenant_a.team_lead, group, "E-1", ni_category=letter.lower())
    assert employee.ni_category == letter
    assert gb.national_insurance(pay=Decimal(3000), category=letter).employee >= 0


def test_category_z_and_x_are_worked_from_the_pack():
    # GOV.UK Rates and thresholds for employers 2026 to 2027: Z (deferment, under 21)
    # 2 % employee, no employer NICs up to the UST; X no NICs at all
    assert gb.national_insurance(pay=Decimal(3000), category="Z") == gb.NicResult(
        Decimal("39.04"), Decimal(0), Decimal(489), Decimal(1952)
    )
    assert gb.national_insurance(pay=Decimal(5000), category="X").employee == 0
    assert gb.national_insurance(pay=Decimal(5000), category="X").employer == 0


def test_one_employee_the_calculation_cannot_pay_is_held_and_the_others_are_paid(tenant_a, group):
    # protects: one bad record stopping the whole payroll with nobody paid
    hire(tenant_a.team_lead, group, "E-1")
    odd = hire(tenant_a.team_lead, group, "E-2")
    hire(tenant_a.team_lead, group, "E-3")
    Employee.objects.filter(pk=odd.pk).update(ni_category="Q")  # stored before the check
    run = calculated(tenant_a.team_lead, group)
    assert run.status == PayRun.Status.CALCULATED
    held = PayResult.objects.get(run=run, employee=odd)
    assert held.flags == ["held"]
    assert held.net_minor == 0
    assert held.lines == []
    assert "NI category" in held.basis["held"]
    others = PayResult.objects.filter(run=run).exclude(employee=odd)
    assert [result.net_minor for result in others] == [196864, 196864]
    assert run.net_minor == 2 * 196864
    assert run.flagged == 1
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    assert run.status == PayRun.Status.SUBMITTED
