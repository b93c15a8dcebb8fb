"""Rule versions: each change to a pay group's rules is a new version kept for good; a
run pins the version its calculation started with (a resume after a crash uses it too),
and an earlier version can be restored."""

import copy

import pytest

from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import calc, groups, runs
from tercero.services.payroll.models import PayGroup, PayResult, PayRuleSet
from tercero.services.payroll.tests.factories import APRIL, hire, uk_group


@pytest.fixture
def group(tenant_a):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        yield group


def _pension(rules, percent: str) -> list[dict]:
    changed = copy.deepcopy(rules)
    for rule in changed:
        if rule["code"] == "PENSION":
            rule["percent"] = percent
    return changed


def _pensions(run) -> list[int]:
    return [
        next(amount for code, _n, _c, amount in result.lines if code == "PENSION")
        for result in PayResult.objects.filter(run=run).order_by("employee_id")
    ]


def test_a_run_keeps_the_rules_its_calculation_started_with(tenant_a, group):
    # protects: one run paid half on old rules and half on new ones
    lead = tenant_a.team_lead
    for number in ("E-1", "E-2"):
        hire(lead, group, number)  # 2,500.00 a month: pension 5 % = 125.00
    run = runs.create_run(actor=lead, pay_group=group, **APRIL)
    assert run.rules_version == 1
    runs.start_calculation(actor=lead, run=run)
    runs.calculate(run_id=run.pk, chunk=1, chunks=1)  # stopped after the first employee
    group = groups.update_pay_group(
        actor=lead,
        group=group,
        version=group.version,
        changes={"rules": _pension(group.rules, "6")},
        note="Pension rises to 6 % from May",
    )
    second = PayRuleSet.objects.get(pay_group=group, number=2)
    assert (second.note, second.created_by) == ("Pension rises to 6 % from May", lead)
    run = runs.calculate(run_id=run.pk)  # resumed after the change
    assert (run.rules_version, _pensions(run)) == (1, [12500, 12500])
    # calculated again from scratch: the version in force now
    runs.start_calculation(actor=lead, run=run, version=run.version)
    run = runs.calculate(run_id=run.pk)
    assert (run.rules_version, _pensions(run)) == (2, [15000, 15000])


def test_a_version_is_written_only_for_a_real_change_and_restoring_is_a_new_one(tenant_a, group):
    # protects: the record of what rules were in force, and a way back from a bad change
    lead = tenant_a.team_lead
    original = copy.deepcopy(group.rules)
    same = groups.update_pay_group(
        actor=lead, group=group, version=group.version, changes={"rules": original}
    )
    assert not PayRuleSet.objects.filter(pay_group=group).exists()  # nothing changed
    changed = groups.update_pay_group(
        actor=lead,
        group=same,
        version=same.version,
        changes={"rules": _pension(original, "7")},
        note="Pension to 7 %",
    )
    stale = PayGroup.objects.get(pk=group.pk)  # as another user loaded it
    # the rules it replaced were never recorded (written directly): kept as version 1
    versions = PayRuleSet.objects.filter(pay_group=group).order_by("number")
    assert [(v.number, v.rules) for v in versions] == [(1, original), (2, changed.rules)]
    with pytest.raises(InvalidInput, match="Say why"):
        groups.restore_rules(actor=lead, group=changed, version=changed.version, number=1, note="")
    with pytest.raises(Conflict, match="in force already"):
        groups.restore_rules(actor=lead, group=changed, version=changed.version, number=2, note="x")
    restored = groups.restore_rules(
        actor=lead, group=changed, version=changed.version, number=1, note="7 % was a typo"
    )
    assert restored.rules == original
    latest = versions.last()
    assert (latest.number, latest.note) == (3, "Version 1 restored: 7 % was a typo")
    with pytest.raises(InvalidInput, match="no rule version 9"):
        groups.restore_rules(
            actor=lead, group=restored, version=restored.version, number=9, note="x"
        )
    with pytest.raises(Conflict):  # stale: someone changed the group meanwhile
        groups.restore_rules(actor=lead, group=stale, version=stale.version, number=2, note="x")
    assert PayRuleSet.objects.filter(pay_group=group).count() == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "basic"}, "capital letter"),
        ({"name": " "}, "name the line"),
        ({"amount": ""}, "fixed line needs its amount"),
        ({"kind": "percent_of", "percent": "five", "of": ["HOURS"]}, "percent is not a number"),
        ({"kind": "rate_x_quantity", "rate": "hourly_rate"}, "needs its quantity"),
        ({"kind": "formula", "formula": "salary *"}, "is not a formula"),
        ({"kind": "formula", "formula": "NI * 2"}, "reads NI, which is not computed"),
        ({"kind": "formula", "formula": "__import__('os')"}, "only numbers, lines, inputs"),
        ({"kind": "tax", "tax": "fr.impot"}, "GB has no tax routine 'fr.impot'"),
        ({"unit": "0"}, "rounding unit"),
        ({"unit": "1E+9999"}, "rounding unit"),
        ({"yearly_cap": "-5"}, "yearly cap is 0 or more"),
        ({"formula": "1" + " + 1" * 200, "kind": "formula"}, "formula is at most 500"),
        ({"name": "x" * 101}, "name is at most 100"),
        ({"amount": {"nested": "json"}}, "amount is text"),
        ({"kind": "percent_of", "percent": "5", "of": "BASIC"}, "of is a list"),
        ({"taxable": "yes"}, "taxable is true or false"),
        ({"yearly_cap": "lots"}, "yearly_cap is not a number"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_naming_it(tenant_a, group, change, message):
    # protects: a payroll calculated with a rule that silently means something else
    changed = copy.deepcopy(group.rules)
    changed[0].update(change)  # the first line, BASIC
    with pytest.raises(InvalidInput, match=message) as refused:
        groups.update_pay_group(
            actor=tenant_a.team_lead, group=group, version=group.version, changes={"rules": changed}
        )
    assert "rules[0]" in str(refused.value.fields)
    assert len(str(refused.value)) < 300  # names the line, does not echo a huge value
    group.refresh_from_db()
    assert group.rules[0]["code"] == "BASIC"
    assert not PayRuleSet.objects.filter(pay_group=group).exists()


def test_json_numbers_read_as_their_text_and_a_huge_rule_set_is_refused(tenant_a, group):
    # protects: integrations sending numbers as numbers; a rule set too big to check
    changed = copy.deepcopy(group.rules)
    changed[0] = {"code": "BASIC", "name": "Basic", "category": "earning", "kind": "fixed",
                  "amount": 2500, "yearly_cap": 40000.5}  # fmt: skip
    saved = groups.update_pay_group(
        actor=tenant_a.team_lead, group=group, version=group.version, changes={"rules": changed}
    )
    assert calc.rule_set(saved.rules)[0].amount == "2500"
    lines = [
        {"code": f"L{n}", "name": "x", "category": "info", "kind": "fixed", "amount": "1"}
        for n in range(201)
    ]
    with pytest.raises(InvalidInput, match="At most 200 lines"):
        groups.update_pay_group(
            actor=tenant_a.team_lead, group=saved, version=saved.version, changes={"rules": lines}
        )
    with pytest.raises(InvalidInput, match="a list of lines"):
        groups.update_pay_group(
            actor=tenant_a.team_lead, group=saved, version=saved.version, changes={"rules": "x"}
        )
