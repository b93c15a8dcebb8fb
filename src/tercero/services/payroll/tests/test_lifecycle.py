"""The pay run's and the HR change's status tables: every move they refuse is refused
with the sentence and code the hand-written checks used, the services ask them, and
pages and the API offer exactly what they allow."""

import pytest

from tercero.platform.errors import Conflict
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import api, lifecycle, runs
from tercero.services.payroll.models import HrEvent, PayRun
from tercero.services.payroll.tests.factories import calculated, hire, uk_group

WORDS = {status: label.lower() for status, label in PayRun.Status.choices}

# The rules as runs.py wrote them by hand: the statuses each action was allowed from, and
# the sentence and code refusing it from any other (`words`: the status as people read it).
RUN_RULES = {
    "import_inputs": ({"draft", "calculated"}, "The run is {words}.", "locked"),
    "calculate": ({"draft", "calculated", "calculating"}, "The run is {words}.", "locked"),
    "submit": ({"calculated"}, "A run that is {words} cannot be submitted.", "illegal_transition"),
    "approve": ({"submitted"}, "A run that is {words} cannot be approved.", "illegal_transition"),
    "send_back": (
        {"submitted"},
        "A run that is {words} cannot be sent back.",
        "illegal_transition",
    ),
    "finalise": ({"approved"}, "A run that is {words} cannot be finalised.", "illegal_transition"),
    "cancel": (
        {"draft", "calculated"},
        "Only a draft or calculated run can be cancelled.",
        "locked",
    ),
}
NOT_APPLIED = ("The change is not applied.", "not_applied")
VERIFIED = ("The change is verified; correct it with a new change.", "verified")
# The same for HR changes (hr_events.py and the item's completion check, by hand before).
HR_RULES = {
    "apply": ({"", "undone"}, {"applied": ("This change is already applied.", "applied")}),
    "verify": ({"applied"}, {"": NOT_APPLIED, "undone": NOT_APPLIED, "verified": VERIFIED}),
    "undo": ({"applied"}, {"": NOT_APPLIED, "undone": NOT_APPLIED, "verified": VERIFIED}),
    "resolve": (
        {"verified"},
        {
            "": ("The change is not applied to the HR records yet.", "not_applied"),
            "undone": ("The change is not applied to the HR records yet.", "not_applied"),
            "applied": (
                "The change is applied but not verified by a second person yet.",
                "not_verified",
            ),
        },
    ),
}
HR_RULES["apply"][1]["verified"] = HR_RULES["apply"][1]["applied"]


def test_the_tables_know_exactly_the_models_statuses():
    # protects: a status added to a model but never given its moves
    assert tuple(PayRun.Status.values) == lifecycle.RUN_STATUSES
    assert tuple(HrEvent.Status.values) == lifecycle.HR_STATUSES
    assert set(lifecycle.RUN) == {*RUN_RULES, "complete"}
    assert set(lifecycle.HR_CHANGE) == set(HR_RULES)


@pytest.mark.parametrize("status", PayRun.Status.values)
@pytest.mark.parametrize("action", list(RUN_RULES))
def test_the_run_table_allows_and_refuses_as_the_hand_written_checks_did(action, status):
    # protects: an API client reading the refusal's code, a person reading its sentence
    allowed, sentence, code = RUN_RULES[action]
    if status in allowed:
        assert lifecycle.expect(lifecycle.RUN, action, status, WORDS[status])
        return
    with pytest.raises(Conflict) as refused:
        lifecycle.expect(lifecycle.RUN, action, status, WORDS[status])
    assert refused.value.message == sentence.format(words=WORDS[status])
    assert refused.value.code == code
    assert refused.value.fields == {"allowed": lifecycle.offered(lifecycle.RUN, status)}


@pytest.mark.parametrize("status", ["", *HrEvent.Status.values])
@pytest.mark.parametrize("action", list(HR_RULES))
def test_the_hr_change_table_allows_and_refuses_as_the_hand_written_checks_did(action, status):
    # protects: the agent's and the verifier's refusals, and when the item may resolve
    allowed, refusals = HR_RULES[action]
    found = lifecycle.refusal(lifecycle.HR_CHANGE, action, status, status or "not applied")
    assert found == (("", "") if status in allowed else refusals[status])


def test_a_run_is_moved_only_where_the_table_allows(tenant_a):
    # protects: a service that forgot its check (each action tried from every status)
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        hire(tenant_a.team_lead, group, "E-1")
        run = calculated(tenant_a.team_lead, group)
        lead, approver = tenant_a.team_lead, tenant_a.client_admin
        attempts = {
            "import_inputs": lambda r: runs.import_inputs(
                actor=lead, run=r, data=b"employee_number\n"
            ),
            "calculate": lambda r: runs.start_calculation(actor=lead, run=r, version=r.version),
            "submit": lambda r: runs.submit(actor=lead, run=r, version=r.version),
            "approve": lambda r: runs.approve(actor=approver, run=r, version=r.version),
            "send_back": lambda r: runs.send_back(
                actor=approver, run=r, version=r.version, note="the bonus is missing"
            ),
            "finalise": lambda r: runs.finalise(actor=lead, run=r, version=r.version),
            "cancel": lambda r: runs.cancel(actor=lead, run=r, version=r.version, reason="x"),
        }
        refused = {}
        for status in PayRun.Status.values:
            for action, attempt in attempts.items():
                if status in RUN_RULES[action][0]:
                    continue
                PayRun.objects.filter(pk=run.pk).update(status=status)
                run.refresh_from_db()
                with pytest.raises(Conflict) as error:
                    attempt(run)
                refused[(action, status)] = (error.value.message, error.value.code)
                run.refresh_from_db()
                assert run.status == status
    assert refused == {
        (action, status): (sentence.format(words=WORDS[status]), code)
        for action, (allowed, sentence, code) in RUN_RULES.items()
        for status in PayRun.Status.values
        if status not in allowed
    }


def test_pages_and_the_api_offer_what_the_run_table_allows(client, tenant_a):
    # protects: a button or an API action the run's status would refuse
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        hire(tenant_a.team_lead, group, "E-1")
        run = calculated(tenant_a.team_lead, group)
    assert api.ACTIONS == ("calculate", "submit", "approve", "send_back", "finalise", "cancel")
    assert api.HR_ACTIONS == ("apply", "verify", "undo")
    client.force_login(tenant_a.team_lead)
    assert client.get(f"/api/v1/payroll/runs/{run.pk}").json()["actions"] == [
        "calculate",
        "submit",
        "cancel",
    ]
    page = client.get(f"/payroll/runs/{run.pk}/").content.decode()
    assert 'value="submit"' in page
    assert 'value="cancel"' in page
    assert 'value="finalise"' not in page
    cancelled = client.post(
        f"/payroll/runs/{run.pk}/action/",
        {"action": "cancel", "version": run.version, "note": "wrong period"},
    )
    assert cancelled.status_code == 302
    assert client.get(f"/api/v1/payroll/runs/{run.pk}").json()["actions"] == []
    page = client.get(f"/payroll/runs/{run.pk}/").content.decode()
    assert "This run is cancelled; corrections go into a later or an off-cycle run." in page
    assert 'value="cancel"' not in page
