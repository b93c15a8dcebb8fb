"""Statutory pay in HMRC's returns: the FPS carries each employee's statutory payments to
date (SMPYTD...), and the EPS claims them back (SMPRecovered, NICCompensationOnSMP):
92 %, or for a small employer all of it plus compensation, 8.5 % in 2025-26 and 9 % from
2026-27 (GOV.UK,
Get financial help with statutory pay, gov.uk/recover-statutory-payments). Checked
against HMRC's schemas when the run has them (TERCERO_HMRC_SCHEMAS, rti_world.py)."""

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tercero.platform.errors import Conflict
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import rti, rti_figures, statutory_leave
from tercero.services.payroll.models import PayResult, RtiEmployer, RtiPerson
from tercero.services.payroll.tests.factories import JUNE, MAY, finalised, hire, uk_group
from tercero.services.payroll.tests.rti_world import assert_checked, use_schemas

pytestmark = pytest.mark.django_db

FPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/FullPaymentSubmission/26-27/1}"
EPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/EmployerPaymentSummary/26-27/1}"
MAY_SMP = 208286  # 3 weeks at 540.00 and 6 days of the 4th (test_statutory_leave.py)


@pytest.fixture
def on_leave(tenant_a, settings, tmp_path):
    """A mother on maternity leave from Sunday 10 May 2026 (average weekly earnings
    600.00) and a colleague, paid in May and June 2026."""
    use_schemas(settings, tmp_path)
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employer = RtiEmployer.objects.create(
            client=tenant_a.client,
            pay_group=group,
            tax_office_number="123",
            tax_office_reference="AB45678",
            accounts_office_reference="123PA00045678",
        )
        people = {}
        for number, nino in (("E-1", "AB123456C"), ("E-2", "CE234567D")):
            people[number] = hire(
                tenant_a.team_lead, group, number, start=date(2025, 6, 1), national_id=nino,
                date_of_birth="1990-02-14", address="12 High Street, Leeds, LS1 4AP",
            )  # fmt: skip
            RtiPerson.objects.create(client=tenant_a.client, employee=people[number], gender="F")
        statutory_leave.record_absence(
            actor=tenant_a.team_lead,
            employee=people["E-1"],
            kind="maternity",
            start=date(2026, 5, 10),
            expected_on=date(2026, 5, 17),
            average_weekly_earnings_minor=60000,
        )
        may = finalised(tenant_a, group, MAY)
        june = finalised(tenant_a, group, JUNE)
        yield group, employer, people, may, june


def _figures_to_date(document: rti.Document, payroll_id: str) -> dict[str, str]:
    root = etree.fromstring(document.xml)
    for entry in root.iter(f"{FPS}Employee"):
        if entry.findtext(f".//{FPS}PayId") == payroll_id:
            found = entry.find(f".//{FPS}FiguresToDate")
            return {etree.QName(e).localname: e.text for e in found}
    raise AssertionError(payroll_id)


def test_the_fps_carries_the_maternity_pay_to_date_the_results_hold(on_leave):
    _group, _employer, people, may, june = on_leave
    # when: May's and June's FPS are built
    in_may = _figures_to_date(rti.fps(may), "E-1")
    in_june = _figures_to_date(rti.fps(june), "E-1")
    # then: each carries the maternity pay paid so far in the tax year, as stored
    june_result = PayResult.objects.get(run=june, employee=people["E-1"])
    assert in_may["SMPYTD"] == "2082.86"
    assert in_june["SMPYTD"] == f"{june_result.ytd['SMP'] / 100:.2f}"
    assert june_result.ytd["SMP"] > MAY_SMP
    # and the maternity pay is taxable pay: the colleague's is salary alone
    assert rti_figures.of_result(june_result, rti_figures.line_kinds(june)).taxable_pay == (
        june_result.gross_minor
    )
    colleague = _figures_to_date(rti.fps(june), "E-2")
    assert "SMPYTD" not in colleague
    assert colleague["TaxablePay"] == "5000.00"  # 2,500.00 a month, two months
    assert_checked(rti.fps(june).xml, kind="fps", tax_year="2026-27")


def _recovered(document: rti.Document) -> dict[str, str]:
    root = etree.fromstring(document.xml)
    found = root.find(f".//{EPS}RecoverableAmountsYTD")
    return {etree.QName(e).localname: e.text for e in found}


def test_a_large_employer_recovers_92_percent_of_the_maternity_pay(on_leave):
    group, _employer, _people, _may, _june = on_leave
    # when: the EPS of tax month 2 (6 May to 5 June 2026) is built
    document = rti.eps_recovery(pay_group=group, tax_year="2026-27", month=2)
    # then: 92 % of 2,082.86 = 1,916.2312 -> 1,916.23, and no compensation
    assert _recovered(document) == {"TaxMonth": "2", "SMPRecovered": "1916.23"}
    assert document.key == f"eps:group:{group.pk}:2026-27:recovered:2"
    assert_checked(document.xml, kind="eps", tax_year="2026-27")


def test_a_small_employer_recovers_all_of_it_and_9_percent_compensation_in_2026_27(on_leave):
    group, employer, _people, _may, _june = on_leave
    # given: the employer qualifies for Small Employers' Relief
    employer.is_small_employer = True
    employer.save()
    # when
    document = rti.eps_recovery(pay_group=group, tax_year="2026-27", month=2)
    # then: 100 % of 2,082.86, and 9 % of it (2026-27) = 187.4574 -> 187.46
    assert _recovered(document) == {
        "TaxMonth": "2",
        "SMPRecovered": "2082.86",
        "NICCompensationOnSMP": "187.46",
    }
    assert_checked(document.xml, kind="eps", tax_year="2026-27")


def test_the_eps_of_a_month_before_any_statutory_pay_is_refused_in_words(on_leave):
    group, _employer, _people, _may, _june = on_leave
    with pytest.raises(Conflict) as refused:
        rti.eps_recovery(pay_group=group, tax_year="2026-27", month=1)
    assert refused.value.message == (
        "UK monthly paid no statutory maternity, paternity, adoption, shared parental, "
        "parental bereavement or neonatal care pay in 2026-27 up to 05 May 2026: there is "
        "nothing to recover."
    )


@pytest.mark.parametrize(
    ("paid", "small", "recovered", "compensation"),
    [(100000, False, 92000, 0), (100000, True, 100000, 8500), (1, False, 1, 0), (7, True, 7, 1)],
)
def test_recovery_is_rounded_to_the_nearest_penny(paid, small, recovered, compensation):
    found = rti_figures.recovered(paid_minor=paid, tax_year="2025-26", is_small_employer=small)
    assert (found.recovered, found.compensation) == (recovered, compensation)


@given(paid=st.integers(min_value=0, max_value=10**9), small=st.booleans())
def test_recovery_is_within_half_a_penny_of_the_share(paid, small):
    found = rti_figures.recovered(paid_minor=paid, tax_year="2026-27", is_small_employer=small)
    share, extra = (Fraction(100), Fraction(9)) if small else (Fraction(92), Fraction(0))
    assert abs(found.recovered - paid * share / 100) <= Fraction(1, 2)
    assert abs(found.compensation - paid * extra / 100) <= Fraction(1, 2)
