"""HR records: identifiers checked before anything is stored, personal data sealed,
employment effective-dated so a change applies from its date."""

from datetime import date
from decimal import Decimal

import pytest

from tercero.delivery.work.tests.conftest import live_engagement
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import selectors, services
from tercero.services.payroll.models import Employee, Employment, PayGroup


@pytest.fixture
def group(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Payroll")
    with client_scope(clients=[tenant_a.client]):
        yield PayGroup.objects.create(
            client=tenant_a.client,
            engagement=engagement,
            name="UK monthly",
            frequency="monthly",
            currency="GBP",
        )


def _hire(tenant, group, **overrides):
    fields = dict(
        actor=tenant.team_lead,
        client_id=tenant.client.pk,
        employee_number="E-001",
        full_name="Olivia Grant",
        country="GB",
        start=date(2026, 4, 6),
        pay_group=group,
        annual_salary="30000.00",
        national_id="AB 12 34 56 C",
        iban="GB82 WEST 1234 5698 7654 32",
        date_of_birth="1990-02-14",
        tax_code="1257l",
    )
    fields.update(overrides)
    return services.hire(**fields)


def test_a_hire_is_stored_sealed_and_masked(tenant_a, group):
    # protects: employees' personal data at rest, and the checked identifiers
    employee = _hire(tenant_a, group)
    row = Employee.objects.get(pk=employee.pk)
    for field in ("full_name", "national_id", "iban", "date_of_birth"):
        assert crypto.is_sealed(getattr(row, field)), field
    assert "AB123456C" not in str(Employee.objects.values().get(pk=employee.pk))
    assert crypto.open_sealed(row.iban) == "GB82WEST12345698765432"
    assert crypto.masked(row.iban).endswith("32")
    assert row.national_id_hash == crypto.lookup_hash(tenant_a.client.pk, "AB123456C")
    assert row.tax_code == "1257L"
    first = selectors.employment_on(employee=employee, day=date(2026, 4, 6))
    assert (first.annual_salary_minor, first.currency) == (3_000_000, "GBP")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iban", "GB82 WEST 1234 5698 7654 33"),
        ("national_id", "QQ 12 34 56 C"),
        ("tax_code", "1257"),
        ("annual_salary", "30000.001"),
        ("annual_salary", "-1"),
        ("full_name", " "),
    ],
)
def test_bad_records_are_refused_and_nothing_is_stored(tenant_a, group, field, value):
    # protects: a typo never reaches a payslip or a bank file
    with pytest.raises(InvalidInput) as refused:
        _hire(tenant_a, group, **{field: value})
    assert refused.value.fields
    assert not Employee.objects.exists()
    assert not Employment.objects.exists()


def test_us_bank_details_and_duplicates(tenant_a, group):
    # protects: ACH details for US employees; one number per employee
    employee = _hire(
        tenant_a,
        group,
        country="US",
        national_id="536-90-4399",
        iban="",
        routing_number="011000015",
        account_number="000123456789",
        tax_code="",
    )
    assert employee.routing_number == "011000015"
    assert crypto.open_sealed(employee.account_number) == "000123456789"
    with pytest.raises(Conflict):
        _hire(tenant_a, group)  # same employee number


def test_a_change_applies_from_its_date_and_history_stays(tenant_a, group):
    # protects: effective-dated employment (a raise from 1 September)
    employee = _hire(tenant_a, group)
    services.change_employment(
        actor=tenant_a.team_lead,
        employee=employee,
        effective=date(2026, 9, 1),
        annual_salary=Decimal("33000"),
        position="Senior clerk",
    )
    before = selectors.employment_on(employee=employee, day=date(2026, 8, 31))
    after = selectors.employment_on(employee=employee, day=date(2026, 9, 1))
    assert (before.annual_salary_minor, before.valid_to) == (3_000_000, date(2026, 8, 31))
    assert (after.annual_salary_minor, after.position, after.valid_to) == (
        3_300_000,
        "Senior clerk",
        None,
    )
    with pytest.raises(Conflict):  # before the hire
        services.change_employment(
            actor=None, employee=employee, effective=date(2026, 1, 1), position="x"
        )
    with pytest.raises(Conflict):  # a later change exists
        services.change_employment(
            actor=None, employee=employee, effective=date(2026, 7, 1), position="x"
        )
    with pytest.raises(Conflict):  # same day as an existing change
        services.change_employment(
            actor=None, employee=employee, effective=date(2026, 9, 1), position="x"
        )
    services.leave(actor=None, employee=employee, last_day=date(2026, 12, 31))
    assert selectors.employment_on(employee=employee, day=date(2027, 1, 1)) is None
    assert len(selectors.history(employee=employee)) == 2


def test_another_clients_pay_group_is_refused(tenant_a, tenant_b, group):
    # protects: an employee is never put in another client's pay group
    other = live_engagement(tenant_b.client, name="B payroll")
    with client_scope(clients=[tenant_a.client, tenant_b.client]):
        theirs = PayGroup.objects.create(
            client=tenant_b.client,
            engagement=other,
            name="B",
            frequency="monthly",
            currency="GBP",
        )
        with pytest.raises(InvalidInput):
            _hire(tenant_a, theirs)


def test_money_is_exact_minor_units():
    # protects: no silent rounding of pay rates
    assert services.to_minor("1234.50", "GBP", field="x") == 123450
    assert services.to_minor("5000", "JPY", field="x") == 5000
    with pytest.raises(InvalidInput):
        services.to_minor("12.5", "JPY", field="x")
    with pytest.raises(InvalidInput):
        services.to_minor("abc", "GBP", field="x")
