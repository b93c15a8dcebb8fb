"""Bank files for a pay run: the SEPA document is checked against the ISO 20022 XSD loaded
here, the NACHA file is read back with an independent parser (carta-ach), and the totals are
recomputed from what was parsed, never taken from the generator."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ach.parser import Parser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tercero.services.payroll import bankfiles
from tercero.services.payroll.bankfiles import BankFileError, Originator, Payment

SCHEMA_FILE = Path(bankfiles.__file__).parent / "schemas" / "pain.001.001.09.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
VALID_IBANS = [
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
]
VALID_ROUTING = ["011000015", "021000021", "026009593", "111000025", "122000247", "322271627"]
CREATED = datetime(2026, 1, 30, 9, 15)  # noqa: DTZ001 - a fixed file creation stamp
PAY_DAY = date(2026, 1, 31)
COMPANY = Originator(
    name="Acme Façades GmbH",
    iban="DE89370400440532013000",
    bic="COBADEFFXXX",
    routing_number="011000015",
    destination_routing="021000021",
    company_id="1234567890",
)


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


SCHEMA = _schema()


def _sepa(payments, **overrides):
    arguments = {
        "message_id": "RUN12-2026-01",
        "created": CREATED,
        "execution_date": PAY_DAY,
        "originator": COMPANY,
        "payments": payments,
    }
    return bankfiles.sepa_credit_transfer(**(arguments | overrides))


def _nacha(payments, **overrides):
    arguments = {
        "created": CREATED,
        "effective_date": PAY_DAY,
        "originator": COMPANY,
        "payments": payments,
    }
    return bankfiles.nacha_ppd(**(arguments | overrides))


def _parsed_sepa(document: bytes) -> etree._Element:
    tree = etree.fromstring(document)
    SCHEMA.assertValid(tree)
    return tree


def _cents(text: str) -> int:
    value = Decimal(text)
    assert value == value.quantize(Decimal("0.01"))
    return int(value * 100)


def _us(reference, amount, routing="026009593", account="12345678", **extra):
    return Payment(
        reference=reference,
        name=extra.pop("name", "Pat Doe"),
        amount_minor=amount,
        routing_number=routing,
        account_number=account,
        **extra,
    )


def _eu(reference, amount, iban="FR1420041010050500013M02606", **extra):
    return Payment(
        reference=reference,
        name=extra.pop("name", "Pat Doe"),
        amount_minor=amount,
        iban=iban,
        **extra,
    )


# ------------------------------------------------------------------------ SEPA


def test_sepa_document_is_valid_pain_001_with_matching_totals():
    # protects: the bank accepting the salary file and paying every employee the right sum
    payments = [
        _eu("RUN12-E0042", 123456, name="Zoë Ångström", bic="BNPAFRPP"),
        _eu("RUN12-E0043", 5, iban="GB82 WEST 1234 5698 7654 32"),
        _eu("RUN12-E0044", 250000, iban="NL91ABNA0417164300", name="Łukasz Straße"),
    ]
    document = _sepa(payments)
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    tree = _parsed_sepa(document)

    total = sum(p.amount_minor for p in payments)
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert tree.findtext(f"{block}/p:NbOfTxs", namespaces=NS) == "3"
        assert _cents(tree.findtext(f"{block}/p:CtrlSum", namespaces=NS)) == total
    info = tree.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:PmtMtd", namespaces=NS) == "TRF"
    assert info.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"
    assert info.findtext("p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=NS) == "SALA"
    assert info.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-01-31"
    assert info.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Acme Facades GmbH"
    assert info.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "COBADEFFXXX"
    assert info.findtext("p:ChrgBr", namespaces=NS) == "SLEV"

    transactions = info.findall("p:CdtTrfTxInf", NS)
    written = {
        t.findtext("p:PmtId/p:EndToEndId", namespaces=NS): (
            _cents(t.findtext("p:Amt/p:InstdAmt", namespaces=NS)),
            t.find("p:Amt/p:InstdAmt", NS).get("Ccy"),
            t.findtext("p:Cdtr/p:Nm", namespaces=NS),
            t.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
        )
        for t in transactions
    }
    assert written == {
        "RUN12-E0042": (123456, "EUR", "Zoe Angstrom", "FR1420041010050500013M02606"),
        "RUN12-E0043": (5, "EUR", "Pat Doe", "GB82WEST12345698765432"),
        "RUN12-E0044": (250000, "EUR", "Lukasz Strasse", "NL91ABNA0417164300"),
    }
    agents = [t.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) for t in transactions]
    assert agents == ["BNPAFRPP", None, None]


def test_sepa_without_debtor_bic_says_not_provided():
    # protects: IBAN-only payers (no BIC on file) still getting a file the bank accepts
    document = _sepa([_eu("RUN1-E1", 100)], originator=Originator(name="Acme", iban=COMPANY.iban))
    tree = _parsed_sepa(document)
    path = "p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId/p:Othr/p:Id"
    assert tree.findtext(path, namespaces=NS) == "NOTPROVIDED"


def test_names_are_cut_to_the_sepa_character_set_and_length():
    # protects: a bank rejecting the whole file because of one employee's name
    name = "Émilie « Dœ » & Søren 李 " + "x" * 100
    tree = _parsed_sepa(_sepa([_eu("RUN1-E1", 100, name=name)]))
    written = tree.findtext(".//p:Cdtr/p:Nm", namespaces=NS)
    assert written.startswith("Emilie Doe Soren x")
    assert len(written) <= 70
    assert all(c.isascii() for c in written)


sepa_payments = st.lists(
    st.tuples(st.sampled_from(VALID_IBANS), st.integers(min_value=1, max_value=10**9)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows=sepa_payments)
def test_any_sepa_run_validates_and_control_sum_is_exact(rows):
    # protects: totals that drift by a cent on large or long pay runs
    payments = [_eu(f"RUN9-E{i:04d}", amount, iban=iban) for i, (iban, amount) in enumerate(rows)]
    tree = _parsed_sepa(_sepa(payments))
    total = sum(amount for _, amount in rows)
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert tree.findtext(f"{block}/p:NbOfTxs", namespaces=NS) == str(len(rows))
        assert _cents(tree.findtext(f"{block}/p:CtrlSum", namespaces=NS)) == total
    amounts = [_cents(e.text) for e in tree.iterfind(".//p:InstdAmt", NS)]
    assert amounts == [amount for _, amount in rows]


# ------------------------------------------------------------------------ NACHA


def _read_back(text: str) -> dict:
    lines = text.split("\n")
    assert text.endswith("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert all(len(line) == 94 for line in lines)
    assert len(lines) % 10 == 0
    data = Parser(text).as_dict()
    assert len(data["batches"]) == 1
    return data


def _check_totals(data: dict, lines: int) -> list[dict]:
    """Recompute count, hash and credit from the parsed entries; compare with both controls."""
    batch = data["batches"][0]
    entries = [e["entry_detail"] for e in batch["entries"]]
    count = len(entries) + sum(len(e["addenda"]) for e in batch["entries"])
    entry_hash = sum(int(e["recv_dfi_id"]) for e in entries) % 10**10
    credit = sum(int(e["amount"]) for e in entries if e["transaction_code"] in {"22", "32"})
    debit = sum(int(e["amount"]) for e in entries if e["transaction_code"] in {"27", "37"})
    for control, width in ((batch["batch_control"], 6), (data["file_control"], 8)):
        assert int(control["entadd_count"]) == count
        assert len(control["entadd_count"]) == width
        assert int(control["entry_hash"]) == entry_hash
        assert int(control["credit_amount"]) == credit
        assert int(control["debit_amount"]) == debit == 0
    assert batch["batch_control"]["serv_cls_code"] == "220"
    assert int(data["file_control"]["batch_count"]) == 1
    assert int(data["file_control"]["block_count"]) * 10 == lines
    return entries


def test_nacha_file_reads_back_with_matching_entries_and_totals():
    # protects: US employees being paid the right amount into the right account
    payments = [
        _us("RUN12-E0042", 123456, name="Zoë Ångström"),
        _us("RUN12-E0043", 5, routing="322271627", account="9876", account_type="savings"),
        _us("RUN12-E0044", 9_999_999_999, routing="122000247", account="12345678901234567"),
    ]
    text = _nacha(payments)
    data = _read_back(text)
    entries = _check_totals(data, len(text.splitlines()))

    assert [
        (
            e["transaction_code"],
            e["recv_dfi_id"] + e["check_digit"],
            e["dfi_acnt_num"].rstrip(),
            int(e["amount"]),
            e["ind_id"].rstrip(),
            e["ind_name"].rstrip(),
            e["add_rec_ind"],
            e["trace_num"],
        )
        for e in entries
    ] == [
        ("22", "026009593", "12345678", 123456, "RUN12-E0042", "ZOE ANGSTROM", "0",
         "011000010000001"),
        ("32", "322271627", "9876", 5, "RUN12-E0043", "PAT DOE", "0", "011000010000002"),
        ("22", "122000247", "12345678901234567", 9_999_999_999, "RUN12-E0044", "PAT DOE", "0",
         "011000010000003"),
    ]  # fmt: skip

    header = data["file_header"]
    assert header["priority_code"] == "01"
    assert header["immediate_dest"] == " 021000021"
    assert header["immediate_org"] == " 011000015"
    assert (header["file_crt_date"], header["file_crt_time"]) == ("260130", "0915")
    assert (header["file_id_mod"], header["record_size"], header["blk_factor"]) == (
        "A",
        "094",
        "10",
    )
    batch = data["batches"][0]["batch_header"]
    assert batch["serv_cls_code"] == "220"
    assert batch["company_name"].rstrip() == "ACME FACADES GMBH"[:16].rstrip()
    assert batch["company_id"] == "1234567890"
    assert batch["std_ent_cls_code"] == "PPD"
    assert batch["entry_desc"] == "PAYROLL   "
    assert batch["eff_ent_date"] == "260131"
    assert batch["orig_dfi_id"] == "01100001"
    assert batch["batch_id"] == "0000001"
    assert data["batches"][0]["batch_control"]["company_id"] == "1234567890"


nacha_payments = st.lists(
    st.tuples(
        st.sampled_from(VALID_ROUTING),
        st.from_regex(r"\d{4,17}", fullmatch=True),
        st.integers(min_value=1, max_value=10**10 - 1),
        st.sampled_from(["checking", "savings"]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows=nacha_payments)
def test_any_nacha_run_has_controls_that_add_up(rows):
    # protects: an ACH file rejected (or misposted) because control totals do not match entries
    payments = [
        _us(f"R9-E{i:04d}", amount, routing=routing, account=account, account_type=kind)
        for i, (routing, account, amount, kind) in enumerate(rows)
    ]
    text = _nacha(payments)
    data = _read_back(text)
    entries = _check_totals(data, len(text.splitlines()))
    assert [int(e["amount"]) for e in entries] == [row[2] for row in rows]
    assert [e["recv_dfi_id"] + e["check_digit"] for e in entries] == [row[0] for row in rows]
    assert [e["dfi_acnt_num"].rstrip() for e in entries] == [row[1] for row in rows]
    codes = {"checking": "22", "savings": "32"}
    assert [e["transaction_code"] for e in entries] == [codes[row[3]] for row in rows]


# ------------------------------------------------------------------------ refusals


def _refused(make, payments, **overrides) -> BankFileError:
    result = None
    with pytest.raises(BankFileError) as refused:
        result = make(payments, **overrides)
    assert result is None
    return refused.value


def test_a_one_digit_iban_typo_is_refused_naming_the_payment():
    # protects: salary sent to a stranger's account because of a slip of the keyboard
    error = _refused(
        _sepa, [_eu("RUN1-E1", 100), _eu("RUN1-E2", 100, iban="GB82WEST12345698765433")]
    )
    assert error.fields == {"payments[RUN1-E2].iban": "invalid"}
    assert "RUN1-E2" in error.message


def test_a_bad_debtor_iban_is_refused():
    # protects: a file debiting an account that does not exist
    error = _refused(
        _sepa,
        [_eu("RUN1-E1", 100)],
        originator=Originator(name="Acme", iban="DE89370400440532013001"),
    )
    assert error.fields == {"originator.iban": "invalid"}


def test_a_bad_routing_checksum_is_refused():
    # protects: an ACH credit bounced or misrouted because of a mistyped routing number
    error = _refused(_nacha, [_us("RUN1-E1", 100), _us("RUN1-E2", 100, routing="026009594")])
    assert error.fields == {"payments[RUN1-E2].routing_number": "invalid"}
    assert "RUN1-E2" in error.message


@pytest.mark.parametrize("account", ["", "123", "12345678901234567890", "12AB5678"])
def test_a_bad_us_account_number_is_refused(account):
    # protects: an ACH credit to an account number the bank cannot post
    error = _refused(_nacha, [_us("RUN1-E1", 100, account=account)])
    assert error.fields == {"payments[RUN1-E1].account_number": "invalid"}


@pytest.mark.parametrize("make", [_sepa, _nacha])
def test_a_duplicate_reference_is_refused(make):
    # protects: an employee paid twice, or a payment that cannot be reconciled
    payment = _us("RUN1-E1", 100) if make is _nacha else _eu("RUN1-E1", 100)
    error = _refused(make, [payment, payment])
    assert error.fields == {"payments[RUN1-E1].reference": "duplicate"}


@pytest.mark.parametrize("make", [_sepa, _nacha])
@pytest.mark.parametrize("amount", [0, -100, 10.5, True])
def test_a_zero_negative_or_non_integer_amount_is_refused(make, amount):
    # protects: a zero or reversed transfer, or a float rounding a salary
    payment = _us("RUN1-E1", amount) if make is _nacha else _eu("RUN1-E1", amount)
    error = _refused(make, [payment])
    assert error.fields == {"payments[RUN1-E1].amount_minor": "invalid"}


@pytest.mark.parametrize("make", [_sepa, _nacha])
def test_an_empty_payment_list_is_refused(make):
    # protects: an empty file released as if the run had been paid
    error = _refused(make, [])
    assert error.fields == {"payments": "empty"}


def test_a_currency_other_than_euro_or_sterling_is_refused():
    # protects: a credit transfer file in a currency the scheme does not carry
    error = _refused(_sepa, [_eu("RUN1-E1", 100)], currency="USD")
    assert error.fields == {"currency": "invalid"}


def test_a_sterling_transfer_validates_without_the_sepa_service_level():
    # protects: UK payrolls paid by an ISO 20022 file their bank accepts
    document = _sepa([_eu("RUN1-E1", 123456)], currency="GBP")
    SCHEMA.assertValid(etree.fromstring(document))
    root = etree.fromstring(document)
    assert root.find(".//{*}SvcLvl") is None
    assert root.find(".//{*}InstdAmt").get("Ccy") == "GBP"
    assert root.find(".//{*}GrpHdr/{*}CtrlSum").text == "1234.56"


def test_a_reference_longer_than_35_is_refused():
    # protects: an end-to-end id the bank would truncate or reject
    error = _refused(_sepa, [_eu("R" * 36, 100)])
    assert error.fields == {f"payments[{'R' * 36}].reference": "invalid"}


def test_an_ach_entry_of_ten_billion_cents_is_refused():
    # protects: an amount silently cut to fit the 10-digit ACH field
    error = _refused(_nacha, [_us("RUN1-E1", 10**10)])
    assert error.fields == {"payments[RUN1-E1].amount_minor": "invalid"}


def test_schema_errors_are_reported(monkeypatch):
    # protects: an invalid SEPA file leaving the building instead of being stopped here
    monkeypatch.setattr(bankfiles, "_decimal", lambda amount: f"{amount}.5.0")
    error = _refused(_sepa, [_eu("RUN1-E1", 100)])
    assert error.fields == {"document": "invalid"}
    assert "InstdAmt" in error.message or "CtrlSum" in error.message
