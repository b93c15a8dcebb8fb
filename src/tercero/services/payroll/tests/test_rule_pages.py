"""The rules editor and rule versions on pages and in the API, as the payroll team and
the client's admin use them."""

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import groups
from tercero.services.payroll.models import PayGroup, PayRuleSet
from tercero.services.payroll.tests.factories import uk_group
from tercero.services.payroll.views.rules import _rows

JSON = "application/json"


@pytest.fixture
def group(tenant_a):
    found = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        yield groups.update_pay_group(  # version 1 written as a real change writes it
            actor=tenant_a.team_lead,
            group=found,
            version=found.version,
            changes={"rules": found.rules[:-1]},  # without the employer pension
            note="No employer pension for this client",
        )


def _form(group, note="Christmas bonus", **changes) -> dict:
    """The editor's form as the page renders it, with `changes` typed in."""
    data = {"version": group.version, "note": note}
    rows = _rows(group.rules)
    data["rows"] = len(rows)
    for index, row in enumerate(rows):
        for name, value in row.items():
            if name in ("error", "remove"):
                continue
            if name == "taxable":
                if value:
                    data[f"r-{index}-taxable"] = "on"
                continue
            data[f"r-{index}-{name}"] = value
    data.update(changes)
    return data


def test_the_payroll_team_adds_a_line_and_a_bad_one_is_shown_not_saved(client, tenant_a, group):
    # protects: changing a client's pay rules without a developer, and a typo paid out
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/groups/{group.pk}/rules/")
    assert page.status_code == 200
    assert 'name="r-0-code" value="BASIC"' in page.content.decode()
    new = len(group.rules)  # the first blank row
    line = {
        f"r-{new}-code": "XMAS",
        f"r-{new}-name": "Christmas bonus",
        f"r-{new}-category": "earning",
        f"r-{new}-kind": "formula",
        f"r-{new}-formula": "BASIC * 0.1 + PAYE",  # PAYE comes later: refused
        f"r-{new}-position": "2",
        f"r-{new}-taxable": "on",
    }
    refused = client.post(f"/payroll/groups/{group.pk}/rules/", _form(group, **line))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert f"Line {new + 1} (XMAS) reads PAYE, which is not computed before it." in text
    assert 'value="BASIC * 0.1 + PAYE"' in text  # what was typed is kept
    assert "has-error" in text
    group.refresh_from_db()
    assert [r["code"] for r in group.rules][:2] == ["BASIC", "HOURS"]

    line[f"r-{new}-formula"] = "BASIC * 0.1"
    saved = client.post(f"/payroll/groups/{group.pk}/rules/", _form(group, **line))
    assert saved.status_code == 302
    group.refresh_from_db()
    assert group.rules[1] == {
        "code": "XMAS",
        "name": "Christmas bonus",
        "category": "earning",
        "kind": "formula",
        "formula": "BASIC * 0.1",
    }
    assert PayRuleSet.objects.get(pay_group=group, number=3).note == "Christmas bonus"
    shown = client.get(f"/payroll/groups/{group.pk}/").content.decode()
    assert "XMAS added" in shown
    assert "rules version 3" in shown
    assert "ER_PENSION removed" in shown

    # saved again unchanged: no new version; without a reason: refused
    again = client.post(
        f"/payroll/groups/{group.pk}/rules/", _form(group, note="same"), follow=True
    )
    assert "Nothing changed" in again.content.decode()
    no_reason = client.post(f"/payroll/groups/{group.pk}/rules/", _form(group, note=""))
    assert no_reason.status_code == 422
    assert "Say why the rules change" in no_reason.content.decode()
    # removing a line other lines read is refused, naming the reader
    basic_gone = client.post(
        f"/payroll/groups/{group.pk}/rules/", _form(group, note="x", **{"r-0-remove": "on"})
    )
    assert basic_gone.status_code == 422
    assert "reads BASIC" in basic_gone.content.decode()
    assert PayRuleSet.objects.filter(pay_group=group).count() == 3


def test_an_earlier_version_is_restored_from_its_page(client, tenant_a, group):
    # protects: a way back from a wrong change, and what each run was paid under
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/groups/{group.pk}/rules/1/").content.decode()
    assert "ER_PENSION" in page
    assert "Restore version 1" in page
    restored = client.post(
        f"/payroll/groups/{group.pk}/rules/1/restore/",
        {"version": group.version, "note": "the client kept the pension"},
    )
    assert restored.status_code == 302
    group.refresh_from_db()
    assert group.rules[-1]["code"] == "ER_PENSION"
    latest = PayRuleSet.objects.filter(pay_group=group).order_by("number").last()
    assert latest.note == "Version 1 restored: the client kept the pension"
    # the client's admin reads the versions but has no editor and no restore
    client.force_login(tenant_a.client_admin)
    seen = client.get(f"/payroll/groups/{group.pk}/rules/2/")
    assert seen.status_code == 200
    assert "Restore version" not in seen.content.decode()
    assert client.get(f"/payroll/groups/{group.pk}/rules/").status_code == 404
    assert client.get(f"/payroll/groups/{group.pk}/rules/9/").status_code == 404


def test_rule_versions_through_the_api(client, tenant_a, group):
    # protects: the same rules history for integrations
    client.force_login(tenant_a.team_lead)
    changed = client.patch(
        f"/api/v1/payroll/pay-groups/{group.pk}",
        {
            "version": group.version,
            "changes": {"rules": group.rules[:-1]},
            "note": "No employer NI line shown",
        },
        content_type=JSON,
    )
    assert changed.status_code == 200
    versions = client.get(f"/api/v1/payroll/pay-groups/{group.pk}/rule-versions").json()
    assert [(v["number"], v["note"]) for v in versions][:2] == [
        (3, "No employer NI line shown"),
        (2, "No employer pension for this client"),
    ]
    assert versions[0]["created_by"] == tenant_a.team_lead.email
    url = f"/api/v1/payroll/pay-groups/{group.pk}/rule-versions/2/restore"
    no_reason = client.post(url, {"version": changed.json()["version"]}, content_type=JSON)
    assert no_reason.status_code == 422
    back = client.post(
        url,
        {"version": changed.json()["version"], "note": "employer NI is shown"},
        content_type=JSON,
    )
    assert back.status_code == 200
    assert back.json()["rules"][-1]["code"] == "ER_NI"
    assert (
        PayGroup.objects.get(pk=group.pk).rules
        == PayRuleSet.objects.get(pay_group=group, number=2).rules
    )


def test_a_run_page_says_when_the_rules_changed_after_it_was_calculated(client, tenant_a, group):
    # protects: a run approved on rules the payroll team has since corrected
    from tercero.services.payroll.tests.factories import calculated, hire

    hire(tenant_a.team_lead, group, "E-1")
    run = calculated(tenant_a.team_lead, group)
    client.force_login(tenant_a.team_lead)
    before = client.get(f"/payroll/runs/{run.pk}/").content.decode()
    assert f"/payroll/groups/{group.pk}/rules/{run.rules_version}/" in before
    assert "rules have changed since" not in before
    groups.update_pay_group(
        actor=tenant_a.team_lead,
        group=group,
        version=group.version,
        changes={"rules": group.rules[:-1]},
        note="No employer NI line",
    )
    stale = client.get(f"/payroll/runs/{run.pk}/").content.decode()
    assert "the pay group's rules have changed since (version 3 is in force)" in stale
    assert "calculate again to use them" in stale
    assert client.get(f"/api/v1/payroll/runs/{run.pk}").json()["rules_version"] == 2
