"""The Full Payment Submission and Employer Payment Summary of a UK payroll: built from
the runs' stored results and valid against HMRC's own 2025-26 schemas (envelope and
body) when the run has them (TERCERO_HMRC_SCHEMAS, rti_world.py); anything HMRC's
schema would refuse is refused here first, in words. Without the schemas the document
is still built and says it was not checked against them. The closing line says which
way the module ran."""

from datetime import date

import pytest
from lxml import etree

from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import rti, rti_figures, rti_schemas
from tercero.services.payroll.models import Employee, PayResult, RtiPerson
from tercero.services.payroll.tests.rti_world import (
    LEAVER,
    LEAVING,
    SCHEMAS,
    assert_checked,
    closing_line,
    unchecked_words,
    use_schemas,
    world,
)

pytestmark = pytest.mark.django_db

FPS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/FullPaymentSubmission/25-26/1}"


@pytest.fixture(scope="module", autouse=True)
def _say_which_way_it_ran(request):
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # printed whatever the verbosity
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write("\n")
        reporter.write_line(closing_line())


@pytest.fixture
def paid(tenant_a, settings, tmp_path):
    use_schemas(settings, tmp_path)
    group, people, april, may = world(tenant_a)
    with client_scope(clients=[tenant_a.client]):
        yield group, people, april, may


def _employees(document: rti.Document) -> dict[str, etree._Element]:
    root = etree.fromstring(document.xml)
    return {e.findtext(f".//{FPS}PayId"): e for e in root.iter(f"{FPS}Employee")}


def test_the_fps_of_a_run_with_english_scottish_and_welsh_employees_is_valid(paid):
    _group, _people, _april, may = paid
    document = rti.fps(may)
    # checked again here, independently of the builder, against HMRC's files
    assert_checked(document.xml, kind="fps")
    if SCHEMAS:
        assert document.schema == "FullPaymentSubmission-2026-v1-0"
        assert document.schema_check == (
            "Checked against HMRC's schemas for 2025-26 (FullPaymentSubmission-2026-v1-0)."
        )
    else:
        assert document.schema == ""
        assert document.schema_check == f"{unchecked_words()}."
    employees = _employees(document)
    assert set(employees) == {"E-1", "S-1", "W-1", "L-1", "X-1"}
    regimes = {n: e.find(f".//{FPS}TaxCode").get("TaxRegime") for n, e in employees.items()}
    assert regimes == {"E-1": None, "S-1": "S", "W-1": "C", "L-1": None, "X-1": None}
    assert employees[LEAVER].findtext(f".//{FPS}LeavingDate") == LEAVING.isoformat()
    loan = employees["L-1"].find(f".//{FPS}StudentLoanRecovered")
    assert loan.get("PlanType") == "02"
    assert employees["L-1"].findtext(f".//{FPS}PostgradLoanRecovered")
    # names in HMRC's character set: accents dropped, Greek transliterated
    assert employees["L-1"].findtext(f".//{FPS}Fore") == "Zoe"
    assert employees["W-1"].findtext(f".//{FPS}Fore") == "Sian"
    assert employees["X-1"].findtext(f".//{FPS}Sur") == "Papadopoylos"
    # no NI number: the fallback details (date of birth, address) are there
    assert employees["X-1"].find(f".//{FPS}NINO") is None
    assert employees["X-1"].findtext(f".//{FPS}BirthDate") == "1990-02-14"
    # the credentials are never in the stored or downloaded document
    assert b"SenderDetails" not in document.xml


def test_fps_figures_are_the_stored_results_and_their_sums_to_date(paid):
    _group, people, april, may = paid
    employees = _employees(rti.fps(may))
    for number in ("E-1", "L-1"):
        employee = people[number]
        results = [PayResult.objects.get(run=run, employee=employee) for run in (april, may)]
        tax = [{c: a for c, _n, _k, a in r.lines}["PAYE"] for r in results]
        node = employees[number]
        assert node.findtext(f".//{FPS}TaxDeductedOrRefunded") == rti.pounds(tax[1])
        assert node.findtext(f".//{FPS}FiguresToDate/{FPS}TotalTax") == rti.pounds(sum(tax))
        assert node.findtext(f".//{FPS}FiguresToDate/{FPS}TaxablePay") == rti.pounds(
            results[1].ytd["TAXABLE"]
        )


def test_nics_bands_are_worked_on_each_periods_earnings():
    # 2025-26 monthly: LEL 542, PT 1,048, UEL 4,189
    bands = rti_figures.bands(nic_earnings=500000, tax_year="2025-26", frequency="monthly")
    assert (bands.at_lel, bands.lel_to_pt, bands.pt_to_uel) == (54200, 50600, 314100)
    below = rti_figures.bands(nic_earnings=50000, tax_year="2025-26", frequency="monthly")
    assert (below.at_lel, below.lel_to_pt, below.pt_to_uel) == (0, 0, 0)


def test_a_bad_ni_number_is_refused_in_words_before_anything_is_sent(paid, tenant_a):
    _group, people, _april, may = paid
    employee = people["E-1"]
    sealed = crypto.seal(tenant_a.client.pk, "QQ123456C")
    Employee.objects.filter(pk=employee.pk).update(national_id=sealed)
    with pytest.raises(InvalidInput) as refused:
        rti.fps(may)
    assert "E-1: the National Insurance number is not one HMRC issues" in refused.value.message


def test_a_missing_gender_is_refused_in_words(paid):
    _group, people, _april, may = paid
    RtiPerson.objects.filter(employee=people["W-1"]).delete()
    with pytest.raises(InvalidInput) as refused:
        rti.fps(may)
    assert "W-1: no gender recorded for HMRC" in refused.value.message


def test_what_hmrcs_schema_refuses_is_said_in_words(paid):
    _group, _people, _april, may = paid
    document = rti.fps(may)
    tampered = document.xml.replace(b"<NINO>AB123456C</NINO>", b"<NINO>QQ12</NINO>")
    if not SCHEMAS:  # nothing to check it against: not checked, as the page says
        assert rti_schemas.validate(tampered, kind="fps", tax_year="2025-26") == ""
        return
    with pytest.raises(InvalidInput) as refused:
        rti_schemas.validate(tampered, kind="fps", tax_year="2025-26")
    assert "employee E-1: National Insurance number 'QQ12' is not in the form HMRC accepts" in (
        refused.value.message
    )


def test_a_year_without_hmrcs_schemas_still_gets_its_document_said_unchecked(
    paid, settings, tmp_path
):
    # given no schemas installed at all
    group, _people, _april, may = paid
    settings.RTI_SCHEMA_DIR = tmp_path / "empty"
    # when
    fps = rti.fps(may)
    eps = rti.eps_no_payment(pay_group=group, tax_year="2026-27", month_from=1, month_to=2)
    # then both are built, well-formed, and say so in words
    assert (fps.schema, fps.employees) == ("", 5)
    assert fps.schema_check == f"{unchecked_words('2025-26')}."
    assert eps.schema_check == f"{unchecked_words('2026-27')}."
    root = etree.fromstring(eps.xml)
    body = root.find(f"{{{rti.ENVELOPE_NS}}}Body")[0]
    assert body.tag == (
        "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/EmployerPaymentSummary/26-27/1}IRenvelope"
    )
    assert body.findtext(".//{*}RelatedTaxYear") == "26-27"


def test_a_year_with_only_some_of_its_files_is_not_installed(paid, settings, tmp_path):
    # given the year's FPS and envelope schemas but no W3C signature schema beside them
    year = tmp_path / "25-26"
    year.mkdir()
    (year / "envelope-v2-0-HMRC.xsd").write_text("<schema/>")
    (year / "FullPaymentSubmission-2026-v1-0.xsd").write_text("<schema/>")
    settings.RTI_SCHEMA_DIR = tmp_path
    # then it counts as not installed
    assert rti_schemas.installed("fps", "2025-26") is None
    assert rti.fps(paid[3]).schema == ""


def test_an_unreadable_schema_is_refused_in_words_naming_the_file(paid, settings, tmp_path):
    # given files in place, one of which is not a schema
    year = tmp_path / "25-26"
    year.mkdir()
    (tmp_path / "xmldsig-core-schema.xsd").write_text("<schema/>")
    (year / "envelope-v2-0-HMRC.xsd").write_text("not a schema")
    (year / "FullPaymentSubmission-2026-v1-0.xsd").write_text("<schema/>")
    settings.RTI_SCHEMA_DIR = tmp_path
    # when / then
    with pytest.raises(Conflict) as refused:
        rti.fps(paid[3])
    assert refused.value.message.startswith(
        "HMRC's schema 25-26/envelope-v2-0-HMRC.xsd is installed but could not be read"
    )
    assert str(tmp_path) not in refused.value.message


def test_the_newest_version_of_a_years_schema_is_used(settings, tmp_path):
    year = tmp_path / "25-26"
    year.mkdir()
    (tmp_path / "xmldsig-core-schema.xsd").write_text("<schema/>")
    for name in (
        "envelope-v2-0-HMRC",
        "EmployerPaymentSummary-2026-v1-0",
        "EmployerPaymentSummary-2026-v1-10",
        "EmployerPaymentSummary-2026-v1-2",
    ):
        (year / f"{name}.xsd").write_text("<schema/>")  # fmt: skip
    settings.RTI_SCHEMA_DIR = tmp_path
    assert rti_schemas.installed("eps", "2025-26").name == "EmployerPaymentSummary-2026-v1-10"
    assert rti_schemas.installed("fps", "2025-26") is None


def test_a_year_tercero_has_no_rates_for_is_refused(paid):
    group, _people, _april, _may = paid
    with pytest.raises(Conflict) as refused:
        rti.eps_no_payment(pay_group=group, tax_year="2019-20", month_from=1, month_to=1)
    assert refused.value.message.startswith("Tercero files RTI for the tax years it has HMRC")
    assert "not 2019-20" in refused.value.message


def test_the_eps_says_nobody_was_paid_in_months_without_a_run(paid):
    group, _people, _april, _may = paid
    document = rti.eps_no_payment(pay_group=group, tax_year="2025-26", month_from=3, month_to=4)
    root = etree.fromstring(document.xml)
    text = etree.tostring(root).decode()
    assert "<From>2025-06-06</From>" in text
    assert "<To>2025-08-05</To>" in text
    assert_checked(document.xml, kind="eps")
    assert document.schema == ("EmployerPaymentSummary-2026-v1-0" if SCHEMAS else "")
    with pytest.raises(Conflict) as refused:
        rti.eps_no_payment(pay_group=group, tax_year="2025-26", month_from=1, month_to=2)
    assert "paid people between 06 Apr 2025 and 05 Jun 2025" in refused.value.message


def test_tax_months_and_weeks_follow_the_tax_year():
    assert rti_figures.tax_month(date(2025, 4, 6)) == 1
    assert rti_figures.tax_month(date(2025, 5, 5)) == 1
    assert rti_figures.tax_month(date(2026, 4, 5)) == 12
    assert rti_figures.tax_week(date(2025, 4, 12)) == 1
    assert rti_figures.tax_week(date(2026, 4, 5)) == 53
