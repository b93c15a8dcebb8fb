"""What a finalised run produces agrees with itself: Σ lines = Σ net = bank file =
journal credit to net pay; payslips go out only after finalising; bank files only for
finalised runs and never to an account that fails its check."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ach.parser import Parser
from django.core import mail
from django.core.management import call_command
from lxml import etree
from pypdf import PdfReader

from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import bankfiles, outputs, runs, tasks
from tercero.services.payroll import groups as pay_groups
from tercero.services.payroll.models import Employee, PayGroup
from tercero.services.payroll.tests.factories import (
    APRIL,
    calculated,
    finalised,
    hire,
    uk_group,
)

XSD = etree.XMLSchema(
    etree.parse(str(Path(bankfiles.__file__).parent / "schemas" / "pain.001.001.09.xsd"))
)


@pytest.fixture
def group(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        group.payer_iban = "GB33BUKB20201555555555"
        group.save()
        yield group


def _staff(tenant, group):
    hire(tenant.team_lead, group, "E-1", full_name="Zoë Ångström", email="zoe@example.org")
    hire(tenant.team_lead, group, "E-2", salary="41234.56", iban="DE89370400440532013000")
    hire(tenant.team_lead, group, "E-3", salary=None, hourly_rate="13.37")


def test_the_five_totals_reconcile_and_the_file_passes_the_official_schema(tenant_a, group):
    # protects: paying a different total from the one approved and booked
    _staff(tenant_a, group)
    run = runs.create_run(actor=tenant_a.team_lead, pay_group=group, **APRIL)
    runs.import_inputs(
        actor=tenant_a.team_lead, run=run, data=b"employee_number,hours\nE-3,151.5\n"
    )
    runs.start_calculation(actor=tenant_a.team_lead, run=run)
    runs.calculate(run_id=run.pk)
    run.refresh_from_db()
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant_a.client_admin, run=run, version=run.version)
    with pytest.raises(Conflict):
        outputs.bank_file(run=run, actor=tenant_a.team_lead)
    run = runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    figures = outputs.reconciliation(run)
    assert figures["balanced"], figures
    assert figures["bank_file_minor"] == run.net_minor == figures["journal_net_pay_minor"]
    name, content = outputs.bank_file(run=run, actor=tenant_a.team_lead)
    assert name.endswith(".xml")
    XSD.assertValid(etree.fromstring(content))
    root = etree.fromstring(content)
    amounts = [el.text for el in root.iter("{*}InstdAmt")]
    assert len(amounts) == 3
    assert b"Zoe Angstrom" in content


def test_a_us_run_pays_by_nacha_read_back_by_an_independent_parser(tenant_a):
    # protects: an ACH file the bank rejects, or one whose totals differ from the run
    group = uk_group(tenant_a.client, name="US biweekly", frequency="biweekly")
    with client_scope(clients=[tenant_a.client]):
        PayGroup.objects.filter(pk=group.pk).update(
            currency="USD",
            jurisdiction="US",
            payer_routing="021000021",
            bank_routing="021000021",
            company_id="1234567890",
            rules=[
                {"code": "BASIC", "name": "Salary", "category": "earning", "kind": "fixed",
                 "amount": "salary"},
                {"code": "FIT", "name": "Federal withholding (flat 12 %)",
                 "category": "deduction", "kind": "percent_of", "percent": "12",
                 "of": ["BASIC"], "rounding": "half_even"},
            ],
        )  # fmt: skip
        group.refresh_from_db()
        for number, routing in (("U-1", "011000015"), ("U-2", "122000247")):
            hire(
                tenant_a.team_lead, group, number, salary="52000.00", iban="",
                routing_number=routing, account_number="12345678", country="US", tax_code="",
                start=date(2026, 1, 1),
            )  # fmt: skip
        run = finalised(tenant_a, group, dict(
            period_start=date(2026, 4, 6), period_end=date(2026, 4, 19),
            pay_date=date(2026, 4, 24)))  # fmt: skip
        _name, content = outputs.bank_file(run=run, actor=tenant_a.team_lead)
        parsed = Parser(content.decode("ascii")).as_dict()
        entries = [e["entry_detail"] for batch in parsed["batches"] for e in batch["entries"]]
        assert sum(int(entry["amount"]) for entry in entries) == run.net_minor
        assert int(parsed["file_control"]["credit_amount"]) == run.net_minor
        assert outputs.reconciliation(run)["balanced"]
        # 52,000 / 26 = 2,000.00; 12 % = 240.00 (half even); net 1,760.00 each
        assert run.net_minor == 2 * 176000


def test_an_account_that_fails_its_check_stops_the_whole_file(tenant_a, group):
    # protects: salary sent to a mistyped account
    _staff(tenant_a, group)
    run = finalised(tenant_a, group)
    broken = Employee.objects.get(employee_number="E-2")
    broken.iban = crypto.seal(tenant_a.client.pk, "DE89370400440532013001", kind="iban")
    broken.save()
    with pytest.raises(InvalidInput) as refused:
        outputs.bank_file(run=run, actor=tenant_a.team_lead)
    assert "E-2" in str(refused.value.fields)
    assert not outputs.reconciliation(run)["balanced"]


def test_payslips_are_emailed_only_after_finalising_and_only_once(tenant_a, group):
    # protects: a payslip sent for figures that could still change, or sent twice
    _staff(tenant_a, group)
    run = calculated(tenant_a.team_lead, group)
    assert tasks.send_payslips(run=run) == 0
    run = runs.submit(actor=tenant_a.team_lead, run=run, version=run.version)
    run = runs.approve(actor=tenant_a.client_admin, run=run, version=run.version)
    run = runs.finalise(actor=tenant_a.team_lead, run=run, version=run.version)
    assert tasks.send_payslips(run=run) == 1  # only E-1 has an address
    assert tasks.send_payslips(run=run) == 0
    (message,) = mail.outbox
    assert message.to == ["zoe@example.org"]
    _filename, pdf, kind = message.attachments[0]
    assert kind == "application/pdf"
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Zoë Ångström" in text
    assert "1968.64" in text  # the net pay of 30,000 a year in April
    assert "1257L" in text


def test_the_register_and_journal_from_the_command_line(tenant_a, group, tmp_path):
    # protects: the files an operator hands to the client's finance team
    _staff(tenant_a, group)
    run = finalised(tenant_a, group)
    call_command("payroll", "register", str(run.pk), "-o", str(tmp_path / "register.csv"))
    call_command("payroll", "journal", str(run.pk), "-o", str(tmp_path / "journal.csv"))
    register = list(csv.DictReader((tmp_path / "register.csv").open()))
    assert [row["employee_number"] for row in register] == ["E-1", "E-2", "E-3", "TOTAL"]
    assert register[-1]["net"] == outputs.money(run.net_minor, "GBP")
    journal = list(csv.DictReader((tmp_path / "journal.csv").open()))
    debits = sum(outputs.Decimal(row["debit"]) for row in journal)
    credits = sum(outputs.Decimal(row["credit"]) for row in journal)
    assert debits == credits


def test_greek_chinese_and_accented_names_all_appear_in_a_valid_pain_001(tenant_a, group):
    # protects: one payee with no Latin letters failing the whole bank file
    hire(tenant_a.team_lead, group, "E-1", full_name="Γιώργος Παπαδόπουλος")
    hire(tenant_a.team_lead, group, "E-2", full_name="王小明")
    hire(tenant_a.team_lead, group, "E-3", full_name="Zoë Ångström-Núñez")
    hire(tenant_a.team_lead, group, "E-4", full_name="★ ☆")  # nothing to write: the number
    run = finalised(tenant_a, group)
    _name, content = outputs.bank_file(run=run, actor=tenant_a.team_lead)
    XSD.assertValid(etree.fromstring(content))
    names = [el.text for el in etree.fromstring(content).iter("{*}Nm")][2:]  # InitgPty, Dbtr
    assert names == ["Giorgos Papadopoylos", "WangXiaoMing", "Zoe Angstrom-Nunez", "E-4"]


def test_a_finalised_runs_register_and_payslips_use_the_rule_version_it_was_calculated_with(
    tenant_a, group
):
    # protects: a register that no longer adds up to the stored net after a rules change
    hire(tenant_a.team_lead, group, "E-1")
    run = finalised(tenant_a, group)
    without_pension = [rule for rule in group.rules if rule["code"] != "PENSION"]
    pay_groups.update_pay_group(
        actor=tenant_a.team_lead,
        group=group,
        version=group.version,
        changes={"rules": without_pension},
        note="Pension moves to salary sacrifice",
    )
    run.refresh_from_db()
    sink = io.StringIO()
    outputs.write_register(run, sink)
    header, row, _total = list(csv.reader(io.StringIO(sink.getvalue())))
    assert "PENSION" in header
    amounts = dict(zip(header, row, strict=True))
    assert amounts["PENSION"] == "125.00"
    categories = {code: category for code, _name, category in outputs.line_codes(run)}
    net = sum(
        Decimal(amounts[code]) * (1 if category == "earning" else -1)
        for code, category in categories.items()
        if category in ("earning", "deduction")
    )
    assert net == Decimal(amounts["net"]) == Decimal("1968.64")
    result = run.results.get()
    assert "Pension 5 %" in outputs.payslip_html(result, run=run)
