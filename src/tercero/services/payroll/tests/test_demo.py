"""`tercero demo` gives Albion a UK payroll: every month from April to today paid, each
item resolved when its run was finalised, the next month awaiting the client's approval
and due in the future, the personal data of every employee sealed, and a second run
changes nothing. It gives Northwind a United States payroll that deducts US taxes: every
fortnight of 2026 up to today paid on time, the next run awaiting Northwind's approval,
a Form 941 that adds up. Loaded once for the module on 7 December 2026: April to
November paid, December waiting."""

import copy
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import TestCase

from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.payroll import demo, outputs, us_demo, us_forms
from tercero.services.payroll.models import Employee, PayGroup, PayInput, PayResult, PayRun

pytestmark = pytest.mark.django_db
LOADED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def loaded_once(module_db) -> dict:
    """The demo, loaded once for the tests that read it (each runs in a savepoint of it),
    its on-commit work run as a commit would run it: Albion's and Northwind's pay groups
    and how many callbacks the load queued."""
    with module_db.unblock(), time_machine.travel(LOADED_AT, tick=True):
        with TestCase.captureOnCommitCallbacks(execute=True) as queued:
            call_command("demo", verbosity=0)
        with all_clients_scope():
            return {
                "uk": PayGroup.objects.get(name=demo.PAY_GROUP),
                "us": PayGroup.objects.get(name=us_demo.PAY_GROUP),
                "queued": len(queued),
            }


@pytest.fixture
def loaded_groups(in_module_db, loaded_once) -> dict:
    """The pay groups as loaded; copies of their own for each test, whatever one before
    it cached on the objects."""
    with all_clients_scope():
        yield copy.deepcopy(loaded_once)


@pytest.fixture
def loaded(loaded_groups) -> PayGroup:
    """Albion's UK pay group."""
    return loaded_groups["uk"]


@pytest.fixture
def us_loaded(loaded_groups) -> PayGroup:
    """Northwind's US pay group."""
    return loaded_groups["us"]


def _run(group, period: int) -> PayRun:
    return PayRun.objects.get(pay_group=group, tax_year="2026-27", period=period)


def _row_counts() -> dict[str, int]:
    with all_clients_scope():
        return {
            model._meta.label: model._base_manager.count()
            for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy
        }


def test_the_demo_pays_albions_staff_for_april(loaded):
    # protects: the demo shows a paid month: finalised, approved by the client, balanced
    april = _run(loaded, 1)
    assert loaded.client.legal_name == "Albion Mutual Insurance plc"
    assert Employee.objects.filter(client=loaded.client).count() == 24
    assert april.status == PayRun.Status.FINALISED
    assert april.prepared_by.email == "lead@tercero.example"
    assert april.approved_by.email == "admin@albion.example"
    # everyone employed in April is paid, the May joiner is not
    paid = set(
        PayResult.objects.filter(run=april).values_list("employee__employee_number", flat=True)
    )
    assert paid == {demo.employee_number(n) for n in range(1, 24)}
    assert april.employees_total == 23
    assert not PayResult.objects.filter(run=april, net_minor__lte=0).exists()
    figures = outputs.reconciliation(april)
    assert figures["balanced"] is True
    assert figures["bank_file_minor"] == april.net_minor == figures["results_net_minor"]
    assert april.gross_minor == 7_353_679
    assert april.net_minor == 5_355_305


def test_the_demos_paid_april_has_its_item_resolved_when_it_was_finalised(loaded, client):
    # protects: a paid month's item queued on the floor, "breached, overdue" for months
    from django.utils import timezone

    from tercero.delivery.work import sla

    april = _run(loaded, 1)
    item = april.work_item
    assert item.status == "resolved"
    assert item.resolution == "Pay run finalised: 23 employees, net £53,553.05."
    queued = datetime(2026, 4, 13, 9, 0, tzinfo=LONDON)
    finalised = datetime(2026, 4, 22, 15, 30, tzinfo=LONDON)  # the day before the deadline
    assert april.created_at == item.created_at == item.queued_at == queued
    assert april.finalised_at == item.resolved_at == finalised
    assert item.created_at < item.at_risk_at < item.resolved_at < item.due_at < timezone.now()
    assert item.sla_met is True
    standing = sla.standing(item, engagement=item.engagement, now=timezone.now())
    assert (standing.state, standing.remaining) == ("on_track", None)
    client.force_login(april.prepared_by)
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    assert '<span class="badge ok">Met</span>' in page
    assert "On track" not in page
    assert "Nobody yet" not in page
    assert "None: finished without an agent" in page
    assert "Resolved</dt>" in page
    assert "Was due</dt>" in page


def test_every_month_before_today_is_paid_on_time_and_none_is_left_late(loaded):
    # protects: finalised and paid runs kept queued, "breached, overdue 52 d", on the floor
    ran = PayRun.objects.filter(pay_group=loaded).order_by("period_start")
    assert [(r.period, r.status) for r in ran] == [(n, "finalised") for n in range(1, 9)] + [
        (9, "submitted")
    ]
    for run in ran[:8]:
        item = run.work_item
        assert item.status == "resolved"
        assert item.sla_met is True
        assert item.created_at < item.resolved_at == run.finalised_at < item.due_at
        assert run.finalised_at.date() < run.pay_date


def test_the_months_open_run_is_due_in_the_future_and_not_born_late(loaded):
    # protects: June's new run that appeared already breached
    from tercero.delivery.work import sla

    december = _run(loaded, 9)
    assert december.status == PayRun.Status.SUBMITTED
    assert december.pay_date.isoformat() == "2026-12-24"  # 28 December is a bank holiday
    item = december.work_item
    assert item.status == "queued"
    assert LOADED_AT < item.at_risk_at < item.due_at
    standing = sla.standing(item, engagement=item.engagement, now=LOADED_AT)
    assert standing.state == "on_track"
    assert standing.remaining.total_seconds() > 0


def test_the_demos_may_paid_the_joiner_and_albions_timesheet(loaded):
    # protects: May's timesheet (overtime, bonuses) and its joiner on the payslips
    may = _run(loaded, 2)
    assert may.status == PayRun.Status.FINALISED
    assert may.approved_by.email == "admin@albion.example"
    assert PayResult.objects.filter(run=may).count() == 24
    joiner = PayResult.objects.get(run=may, employee__employee_number="ALB-0024")
    assert joiner.flags == ["new_joiner"]
    # the timesheet's overtime and bonuses are on the payslips
    assert PayInput.objects.filter(run=may).count() == 13
    overtime = PayResult.objects.get(run=may, employee__employee_number="ALB-0008")
    assert {code: amount for code, _n, _c, amount in overtime.lines}["OT"] == 26625  # 12.5 h
    assert "net_moved" in PayResult.objects.get(run=may, employee__employee_number="ALB-0019").flags


def test_the_demo_keeps_employees_identifiers_and_accounts_sealed(loaded):
    # protects: GDPR Art. 32 - no National Insurance number, IBAN or e-mail in clear
    secrets = {demo.national_insurance_number(n) for n in range(1, 25)}
    secrets |= {demo.iban(n) for n in range(1, 26)} | {"olivia.bennett@example.org"}
    secrets |= {"SW482173B", "SW 48 21 73 B", "Nadia Kowalski", "nadia.kowalski@example.org"}
    found = set()
    for model in apps.get_models():
        text = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not text or not model._meta.managed:
            continue
        for row in model._base_manager.values_list(*text):
            blob = repr(row)
            found |= {secret for secret in secrets if secret in blob}
    assert found == set()
    employee = Employee.objects.get(employee_number="ALB-0001")
    assert employee.national_id.startswith("enc1:")
    assert employee.iban.startswith("enc1:")


def test_the_demo_has_hr_changes_waiting_for_an_hr_agent(loaded):
    # protects: the HR desk opens on requests Albion asked for in the portal
    from tercero.delivery.work.models import WorkItem
    from tercero.delivery.workforce.models import Agent

    asked = WorkItem.objects.filter(client=loaded.client, work_type="payroll.hr_event")
    assert sorted(asked.values_list("status", flat=True)) == ["queued"] * 4
    assert {item.payload["event"] for item in asked} == {"hire", "change", "leave", "terminate"}
    assert all(item.created_by.email == "admin@albion.example" for item in asked)
    bruno = Agent.objects.get(user__email="bruno@tercero.example")
    assert bruno.skills["hr"] == 3
    assert bruno.clearances.filter(engagement=asked[0].engagement).exists()


def _lines(result: PayResult) -> dict[str, int]:
    return {code: amount for code, _name, _category, amount in result.lines}


def test_the_demo_us_payroll_deducts_federal_and_pennsylvania_taxes(us_loaded):
    # protects: the demo's US client whose payroll deducted no tax at all
    assert us_loaded.client.legal_name == "Northwind Commerce Inc"
    assert us_loaded.jurisdiction == "US"
    finalised = PayRun.objects.filter(pay_group=us_loaded, status=PayRun.Status.FINALISED)
    assert finalised.count() == 24
    assert all(run.work_item.status == "resolved" and run.work_item.sla_met for run in finalised)
    waiting = PayRun.objects.get(pay_group=us_loaded, status=PayRun.Status.SUBMITTED)
    assert waiting.pay_date == date(2026, 12, 18)
    assert waiting.work_item.due_at > LOADED_AT
    # (the first quarter: later in the year the best paid pass Social Security's wage base)
    first_quarter = PayResult.objects.filter(run__pay_date__lt=date(2026, 4, 1))
    for result in first_quarter.filter(run__pay_group=us_loaded, gross_minor__gt=0):
        lines = _lines(result)
        assert lines["SS"] > 0
        assert lines["MEDICARE"] > 0
        assert lines["STATE_TAX"] > 0
        assert lines["FUTA"] >= 0
        assert result.net_minor == result.gross_minor - result.deductions_minor
    # federal income tax withheld from the salaried staff; none from the employee whose
    # Form W-4 claims exemption (Social Security and Medicare still are)
    by_number: dict[str, list[dict[str, int]]] = {}
    for result in PayResult.objects.filter(run__pay_group=us_loaded).select_related("employee"):
        by_number.setdefault(result.employee.employee_number, []).append(_lines(result))
    for index, person in enumerate(us_demo.STAFF, start=1):
        if person.salary and person.start.year < 2026:
            assert all(lines["FIT"] > 0 for lines in by_number[us_demo.employee_number(index)])
    exempt = by_number[us_demo.employee_number(12)]
    assert all(lines["FIT"] == 0 and lines["SS"] > 0 for lines in exempt)


def test_the_demo_first_quarter_form_941_adds_up(us_loaded):
    # protects: a Form 941 that does not match the paychecks it reports
    form = us_forms.form_941(group=us_loaded, year=2026, quarter=1)
    results = PayResult.objects.filter(
        run__pay_group=us_loaded, run__status="finalised", run__pay_date__lt=date(2026, 4, 1)
    )
    assert form.sums.wages == sum(r.gross_minor for r in results)
    assert form.line_1 == 12
    assert form.line_10 == form.line_6 + form.line_7
    assert abs(form.line_7) < 100  # a few cents of rounding, never dollars


@time_machine.travel(LOADED_AT, tick=True)
def test_a_second_demo_changes_nothing(loaded_groups):
    # protects: `make run` again keeps the data a person made and adds no duplicates, and
    # a second `tercero demo` paying Albion's or Northwind's staff twice
    before = _row_counts()
    call_command("demo", verbosity=0)
    assert _row_counts() == before
    # Albion's UK group (24 employees, April to November paid, December waiting) and
    # Northwind's US one (us_demo: 12 employees, 24 fortnights paid, one waiting)
    assert before["payroll.PayGroup"] == 2
    assert before["payroll.Employee"] == 24 + 12
    assert before["payroll.PayRun"] == 9 + 25
    assert loaded_groups["queued"] >= 1  # each finalised run's payslips queued for e-mail once
    assert before["django_tasks_database.DBTaskResult"] == 8 + 24


def test_the_demos_delivery_options_page_and_pdf_compare_the_demo_sites(loaded, client):
    # workforce planning's acceptance asks for them on a demo engagement; this module has
    # the whole demo loaded: Albion's payroll engagement, seen by the demo's team lead
    from tercero.delivery.workforce.models import Site

    with all_clients_scope():
        engagement = loaded.engagement
        names = list(Site.objects.filter(is_active=True).values_list("name", flat=True))
    client.force_login(_run(loaded, 1).prepared_by)
    page = client.get(f"/planning/engagements/{engagement.pk}/options/")
    assert page.status_code == 200
    text = page.content.decode()
    assert engagement.name in text
    assert names
    assert all(name in text for name in names)
    pdf = client.get(f"/planning/engagements/{engagement.pk}/options.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
