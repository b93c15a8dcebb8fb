"""A United States pay group through real runs: Forms W-4 on file, Social Security
stopping at the wage base across runs, the Additional Medicare Tax from 200,000, and
Form 941 and W-2 figures read back from the finalised results (page, API, CSV).

Three finalised biweekly runs in the first quarter of 2026 (paid 23 January, 20 February
and 20 March; the third one's period includes 12 March), three employees:
- E-1, 2,600,000 a year: 100,000.00 a run. Social Security on 100,000 (6,200.00), then
  on the 84,500 left under the 184,500 base (5,239.00), then none; Medicare 1,450.00 each
  run and, in the third (200,000 already paid), 0.9 % x 100,000 = 900.00 more;
- E-2, 52,000 a year: 2,000.00 a run (Social Security 124.00, Medicare 29.00);
- E-3, 80 hours at 17.35 = 1,388.00 a run: Social Security 86.056 -> 86.06 and Medicare
  20.126 -> 20.13, each share rounded up by 0.4 of a cent.
Form 941, quarter 1 (Instructions for Form 941): line 2 310,164.00; 5a 194,664.00 x 12.4 %
= 24,138.34; 5c 310,164.00 x 2.9 % = 8,994.76; 5d 100,000.00 x 0.9 % = 900.00; 5e
34,033.10; actually withheld and owed per payment: Social Security 2 x 12,069.18, Medicare
5,397.39 + 4,497.39 = 34,033.14, so line 7 (fractions of cents) is +0.04.
"""

import csv
import io
from datetime import date

import pytest

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import groups, runs, us_forms
from tercero.services.payroll.models import PayResult, PayRun, WithholdingCertificate
from tercero.services.payroll.tests.factories import hire

JSON = "application/json"
RUNS = (
    (date(2026, 1, 4), date(2026, 1, 17), date(2026, 1, 23)),
    (date(2026, 2, 1), date(2026, 2, 14), date(2026, 2, 20)),
    (date(2026, 3, 1), date(2026, 3, 14), date(2026, 3, 20)),
)


@pytest.fixture
def group(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Payroll US", service_line="payroll")
    make_queue(engagement, name="US pay runs", work_types=["payroll.run"])
    with client_scope(clients=[tenant_a.client]):
        yield groups.create_pay_group(
            actor=tenant_a.team_lead,
            engagement=engagement,
            name="US biweekly",
            frequency="biweekly",
            currency="USD",
            jurisdiction="US",
        )


def _us_hire(tenant, group, number, **fields):
    return hire(tenant.team_lead, group, number, country="US", iban="", tax_code="",
                ni_category="", start=date(2025, 1, 6), **fields)  # fmt: skip


def _pay(tenant, group, start, end, pay_date, hours=None) -> PayRun:
    run = runs.create_run(actor=tenant.team_lead, pay_group=group, period_start=start,
                          period_end=end, pay_date=pay_date)  # fmt: skip
    if hours:
        runs.import_inputs(actor=tenant.team_lead, run=run, data=hours)
    runs.start_calculation(actor=tenant.team_lead, run=run)
    run = runs.calculate(run_id=run.pk)
    run = runs.submit(actor=tenant.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant.client_admin, run=run, version=run.version)
    return runs.finalise(actor=tenant.team_lead, run=run, version=run.version)


@pytest.fixture
def quarter(tenant_a, group):
    """The three employees paid for the three runs above; their employees by number."""
    people = {
        "E-1": _us_hire(tenant_a, group, "E-1", salary="2600000.00"),
        "E-2": _us_hire(tenant_a, group, "E-2", salary="52000.00"),
        "E-3": _us_hire(tenant_a, group, "E-3", salary=None, hourly_rate="17.35"),
    }
    for start, end, pay_date in RUNS:
        _pay(tenant_a, group, start, end, pay_date, b"employee_number,hours\nE-3,80\n")
    return people


def _lines(employee) -> list[dict[str, int]]:
    rows = PayResult.objects.filter(employee=employee).order_by("run__pay_date")
    return [{code: amount for code, _n, _c, amount in row.lines} for row in rows]


def test_social_security_stops_at_the_wage_base_and_additional_medicare_starts_at_200000(
    quarter,
):
    # protects: the top earner's paychecks, run after run, across the two limits
    paid = _lines(quarter["E-1"])
    assert [lines["SS"] for lines in paid] == [620000, 523900, 0]
    assert [lines["ER_SS"] for lines in paid] == [620000, 523900, 0]
    assert [lines["MEDICARE"] for lines in paid] == [145000, 145000, 235000]
    assert [lines["ER_MEDICARE"] for lines in paid] == [145000, 145000, 145000]
    assert [lines["FUTA"] for lines in paid] == [4200, 0, 0]  # 0.6 % of the first 7,000
    assert [lines["SS"] for lines in _lines(quarter["E-3"])] == [8606, 8606, 8606]


def test_form_941_for_the_quarter_reads_the_finalised_results(group, quarter):
    # protects: the quarterly return the client files with the IRS
    form = us_forms.form_941(group=group, year=2026, quarter=1)
    lines = {line: (wages, amount) for line, _what, wages, amount in form.lines()}
    assert lines["1"] == (None, 3)
    assert lines["2"] == (None, 31016400)
    assert lines["5a"] == (19466400, 2413834)
    assert lines["5c"] == (31016400, 899476)
    assert lines["5d"] == (10000000, 90000)
    assert lines["5e"] == (None, 3403310)
    assert lines["7"] == (None, 4)
    income_tax = sum(row["FIT"] for person in quarter.values() for row in _lines(person))
    assert lines["3"] == (None, income_tax)
    assert lines["10"] == (None, income_tax + 3403310 + 4)
    empty = us_forms.form_941(group=group, year=2026, quarter=2)
    assert (empty.line_1, empty.sums.wages, empty.line_10) == (0, 0, 0)


def test_forms_w2_give_each_employee_the_years_boxes(group, quarter):
    # protects: the wage statement each employee files their own return with
    forms = {w2.employee_number: {box: amount for box, _what, amount in w2.boxes()}
             for w2 in us_forms.forms_w2(group=group, year=2026)}  # fmt: skip
    assert forms["E-1"]["1"] == 30000000
    assert forms["E-1"]["3"] == 18450000
    assert forms["E-1"]["4"] == 1143900
    assert forms["E-1"]["5"] == 30000000
    assert forms["E-1"]["6"] == 525000
    assert forms["E-2"]["16"] == 600000
    assert forms["E-2"]["17"] == 3 * 6140  # Pennsylvania 3.07 % of 2,000.00
    assert forms["E-3"]["14"] == 3 * 97  # PA UC 0.07 % of 1,388.00 = 0.97


def test_a_form_w4_on_file_changes_the_next_runs_withholding(tenant_a, group):
    # protects: an employee's new W-4 being ignored by payroll
    employee = _us_hire(tenant_a, group, "E-1", salary="52000.00")
    first = _pay(tenant_a, group, *RUNS[0])
    assert _lines(employee)[0]["FIT"] == 15615  # no W-4 yet: single, no entries
    us_forms.record_w4(actor=tenant_a.team_lead, employee=employee,
                       received_on=date(2026, 1, 26), filing_status="married_jointly",
                       dependents="2200")  # fmt: skip
    _pay(tenant_a, group, *RUNS[1])
    # 1c 52,000 less 12,900 = 39,100; married row 19,300: 10 % x 19,800 = 1,980 / 26 =
    # 76.15; less 2,200 / 26 = 84.62: nothing withheld
    assert _lines(employee)[1]["FIT"] == 0
    assert first.status == PayRun.Status.FINALISED
    assert AuditEvent.objects.filter(
        action="payroll.withholding_certificate.recorded", object_id=str(employee.pk)
    ).exists()


def test_a_form_w4_the_withholding_cannot_apply_is_refused_and_nothing_is_stored(tenant_a, group):
    # protects: a typo on a W-4 silently changing someone's withholding
    employee = _us_hire(tenant_a, group, "E-1")
    with pytest.raises(InvalidInput) as refused:
        us_forms.record_w4(actor=tenant_a.team_lead, employee=employee,
                           received_on=date(2026, 1, 5), form="2019",
                           filing_status="head_of_household")  # fmt: skip
    assert "filing_status" in refused.value.fields
    assert not WithholdingCertificate.objects.exists()


def test_the_tax_forms_page_shows_money_in_dollars_with_a_csv_of_the_same(
    client, tenant_a, group, quarter
):
    # protects: the payroll team reading the 941 and W-2 figures off the pay group
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/groups/{group.pk}/tax-forms/", {"year": "2026"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Form 941, quarter 1" in text
    assert "$24,138.34" in text
    assert "$194,664.00" in text
    assert "$184,500.00" in text  # E-1's box 3
    assert "Employee E-3" in text
    group_page = client.get(f"/payroll/groups/{group.pk}/")
    assert f"/payroll/groups/{group.pk}/tax-forms/" in group_page.content.decode()
    download = client.get(f"/payroll/groups/{group.pk}/tax-forms.csv", {"year": "2026"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["form", "period", "employee", "line or box", "description", "wages",
                       "amount"]  # fmt: skip
    assert ["941", "2026 Q1", "", "7", "Current quarter's adjustment for fractions of cents",
            "", "0.04"] in rows  # fmt: skip
    assert ["W-2", "2026", "E-1", "3", "Social security wages", "", "184500.00"] in rows


def test_the_api_gives_the_tax_forms_and_keeps_a_form_w4(client, tenant_a, group, quarter):
    # protects: a client's systems reading the figures and sending new W-4s
    client.force_login(tenant_a.team_lead)
    forms = client.get(f"/api/v1/payroll/pay-groups/{group.pk}/tax-forms", {"year": 2026})
    assert forms.status_code == 200
    first = forms.json()["form_941"][0]
    assert {line["line"]: line["amount"] for line in first["lines"]}["5a"] == "24138.34"
    assert forms.json()["forms_w2"][0]["employee_number"] == "E-1"
    employee = quarter["E-2"]
    url = f"/api/v1/payroll/employees/{employee.pk}/w4"
    assert client.get(url).status_code == 404
    put = client.put(url, {"received_on": "2026-04-01", "filing_status": "married_jointly",
                           "extra": "40.00"}, content_type=JSON)  # fmt: skip
    assert put.status_code == 200
    assert client.get(url).json()["extra"] == "40.00"
    bad = client.put(url, {"received_on": "2026-04-01", "filing_status": "married"},
                     content_type=JSON)  # fmt: skip
    assert bad.status_code in (400, 422)
    assert WithholdingCertificate.objects.get(employee=employee).filing_status == (
        "married_jointly"
    )


def test_a_client_user_may_read_the_tax_forms_but_not_file_a_form_w4(
    client, tenant_a, group, quarter
):
    # protects: a client's staff changing withholding the provider's payroll team keeps
    client.force_login(tenant_a.client_user)
    url = f"/api/v1/payroll/employees/{quarter['E-2'].pk}/w4"
    refused = client.put(url, {"received_on": "2026-04-01"}, content_type=JSON)
    assert refused.status_code in (403, 404)
    assert not WithholdingCertificate.objects.exists()
