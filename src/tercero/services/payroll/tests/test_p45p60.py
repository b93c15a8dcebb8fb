"""P45 and P60 from the stored results of finalised runs (HMRC: "P60 End of Year
Certificate", "P45 Details of employee leaving work"): a P60's totals are the sums of
the year's runs; a leaver's P45 carries the figures to the leaving date; PDF and CSV;
opening one is an audit event; another client's employee is 404."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll import p45p60
from tercero.services.payroll.models import Employee, PayResult
from tercero.services.payroll.tests.factories import hire, uk_group
from tercero.services.payroll.tests.rti_world import LEAVER, LEAVING, world

pytestmark = pytest.mark.django_db
AFTER_THE_YEAR = date(2026, 4, 6)


@pytest.fixture
def paid(tenant_a):
    group, people, april, may = world(tenant_a)
    with client_scope(clients=[tenant_a.client]):
        yield group, people, april, may


def _sums(employee, runs) -> dict[str, int]:
    """Each line code summed over the employee's results in `runs`."""
    sums: dict[str, int] = {}
    for run in runs:
        result = PayResult.objects.get(run=run, employee=employee)
        for code, _name, _category, amount in result.lines:
            sums[code] = sums.get(code, 0) + amount
    return sums


def _audit_actions() -> list[str]:
    with all_clients_scope():
        return list(
            AuditEvent.objects.filter(action__contains="_certificate")
            .order_by("pk")
            .values_list("action", flat=True)
        )


def test_p60_totals_equal_the_sum_of_the_years_runs(paid):
    # given a tax year of two finalised monthly runs
    _group, people, april, may = paid
    zoe = people["L-1"]  # repays a plan 2 student loan and a postgraduate loan
    sums = _sums(zoe, [april, may])
    # when
    p60 = p45p60.p60(employee=zoe, tax_year="2025-26", today=AFTER_THE_YEAR)
    # then pay, tax, NICs and loans are the runs' own lines, summed
    taxable_to_date = PayResult.objects.get(run=may, employee=zoe).ytd["TAXABLE"]
    assert p60.pay_minor == sums["BASIC"] == taxable_to_date
    assert p60.tax_minor == sums["PAYE"]
    assert p60.total_tax_minor == sums["PAYE"]
    assert [line.letter for line in p60.nics] == ["A"]
    assert p60.nics[0].employee_minor == sums["NI"]
    assert p60.student_loan_minor == sums["SL"] // 100 * 100  # whole pounds
    assert p60.postgraduate_loan_minor == sums["PGL"] // 100 * 100
    assert p60.student_loan_minor > 0
    assert p60.postgraduate_loan_minor > 0
    # 2025-26 monthly thresholds: LEL 542, PT 1,048, UEL 4,189, per month paid
    assert p60.nics[0].at_lel_minor == 2 * 54200
    assert p60.nics[0].lel_to_pt_minor == 2 * 50600
    assert p60.payments == 2
    assert (p60.paye_reference, p60.tax_code) == ("123/AB45678", "1257L")


def test_p60_counts_the_pay_and_tax_of_a_previous_employment_that_year(paid):
    _group, people, _april, _may = paid
    olivia = people["E-1"]
    Employee.objects.filter(pk=olivia.pk).update(
        previous_tax_year="2025-26", previous_pay_minor=500000, previous_tax_minor=60000
    )
    olivia.refresh_from_db()
    p60 = p45p60.p60(employee=olivia, tax_year="2025-26", today=AFTER_THE_YEAR)
    assert p60.previous_pay_minor == 500000
    assert p60.total_pay_minor == p60.pay_minor + 500000
    assert p60.total_tax_minor == p60.tax_minor + 60000


def test_a_p60_waits_for_the_end_of_the_tax_year(paid):
    _group, people, _april, _may = paid
    with pytest.raises(Conflict) as refused:
        p45p60.p60(employee=people["E-1"], tax_year="2025-26", today=date(2026, 4, 5))
    assert "once the tax year ends on 5 April 2026" in refused.value.message


def test_a_tax_year_written_wrongly_is_refused_in_words(paid):
    _group, people, _april, _may = paid
    with pytest.raises(InvalidInput) as refused:
        p45p60.p60(employee=people["E-1"], tax_year="2025-27", today=AFTER_THE_YEAR)
    assert refused.value.message == "'2025-27' is not a tax year: write it as 2025-26."


def test_a_p45_for_a_leaver_carries_the_figures_to_the_leaving_date(paid):
    # given an employee who left on 20 May 2025, paid in April and (to that day) in May
    _group, people, april, may = paid
    callum = people[LEAVER]
    sums = _sums(callum, [april, may])
    # when
    p45 = p45p60.p45(employee=callum)
    # then
    assert p45.leaving_date == LEAVING
    assert p45.tax_year == "2025-26"
    assert p45.tax_code == "S1257L"
    assert p45.last_paid == "Month 2"
    assert p45.pay_minor == sums["BASIC"]
    assert p45.total_pay_minor == p45.pay_minor
    assert p45.tax_minor == sums["PAYE"]
    assert p45.student_loan_continues is False


def test_someone_still_employed_has_no_p45(paid):
    _group, people, _april, _may = paid
    with pytest.raises(Conflict) as refused:
        p45p60.p45(employee=people["E-1"])
    assert refused.value.message == "E-1 has not left: a P45 is made when the employment ends."


def test_a_p45_and_p60_as_pdf_and_csv_are_audited(client, tenant_a, paid):
    _group, people, _april, _may = paid
    client.force_login(tenant_a.team_lead)
    callum = people[LEAVER]
    # when
    pdf = client.get(f"/api/v1/payroll/employees/{callum.pk}/p45", {"format": "pdf"})
    text = client.get(
        f"/api/v1/payroll/employees/{callum.pk}/p60", {"tax_year": "2025-26", "format": "csv"}
    )
    as_json = client.get(f"/api/v1/payroll/employees/{callum.pk}/p60?tax_year=2025-26").json()
    # then
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(text.content.decode())))
    assert len(rows) == 1
    assert rows[0]["payroll_id"] == "S-1"
    assert rows[0]["currency"] == "GBP"
    assert rows[0]["national_insurance_number"] != "CE234567D"  # masked in the CSV
    assert rows[0]["ni_letter"] == "A"
    assert as_json["form"] == "P60"
    assert as_json["tax_minor"] == int(Decimal(rows[0]["tax"]).scaleb(2))
    assert _audit_actions() == [
        "payroll.leaving_certificate.opened",
        "payroll.year_end_certificate.opened",
        "payroll.year_end_certificate.opened",
    ]


def test_the_p45_pdf_shows_the_certificate_in_words(paid):
    _group, people, _april, _may = paid
    callum = people[LEAVER]
    html = p45p60.html(p45p60.p45(employee=callum), employee=callum)
    assert "P45 Details of employee leaving work" in html
    assert "CE234567D" in html  # the employee's own copy carries the full NI number
    assert "20 May 2025" in html
    assert "S1257L" in html
    assert "£" in html


def test_a_pay_groups_p60s_come_as_one_csv(client, tenant_a, paid):
    group, _people, _april, _may = paid
    client.force_login(tenant_a.client_admin)
    response = client.get(f"/payroll/groups/{group.pk}/p60s.csv", {"tax_year": "2025-26"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["payroll_id"] for row in rows] == ["E-1", "L-1", "S-1", "W-1", "X-1"]
    with all_clients_scope():
        assert (
            AuditEvent.objects.filter(action="payroll.year_end_certificates.exported").count() == 1
        )


def test_another_clients_employee_answers_404_and_nothing_is_recorded(
    client, tenant_a, tenant_b, paid
):
    # given B's own UK employee, and A's team lead
    b_group = uk_group(tenant_b.client, name="B monthly")
    with client_scope(clients=[tenant_b.client]):
        b_employee = hire(tenant_b.team_lead, b_group, "B-1")
    client.force_login(tenant_a.team_lead)
    # when A's lead asks for B's employee's P45 and P60, by API and page
    answers = [
        client.get(f"/api/v1/payroll/employees/{b_employee.pk}/p45").status_code,
        client.get(f"/api/v1/payroll/employees/{b_employee.pk}/p60?tax_year=2025-26").status_code,
        client.get(f"/payroll/employees/{b_employee.pk}/p45.pdf").status_code,
        client.get(f"/payroll/employees/{b_employee.pk}/p60.csv?tax_year=2025-26").status_code,
        client.get(f"/payroll/groups/{b_group.pk}/p60s.csv?tax_year=2025-26").status_code,
    ]
    # then none exists for them, and nothing was opened
    assert answers == [404, 404, 404, 404, 404]
    assert _audit_actions() == []


def test_the_employee_page_offers_the_p60s_and_the_p45(client, tenant_a, paid):
    _group, people, _april, _may = paid
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/employees/{people[LEAVER].pk}/").content.decode()
    assert "P45 (PDF)" in page
    assert "P60 2025-26 (PDF)" in page
    still_employed = client.get(f"/payroll/employees/{people['E-1'].pk}/").content.decode()
    assert "P45 (PDF)" not in still_employed
