"""HR changes as work items: the client asks (hire, change, leave, terminate), an HR agent
applies the request to the records, a second person verifies it, and only then is the
item resolved; an unverified application can be undone."""

from datetime import date

import pytest

from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import make_agent, make_queue
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import hr_events, selectors
from tercero.services.payroll.models import Employee, Employment, HrEvent
from tercero.services.payroll.tests.factories import calculated, hire, uk_group

NEW_STARTER = {
    "event": "hire",
    "employee_number": "E-77",
    "effective": "2026-06-01",
    "pay_group": "UK monthly",
    "annual_salary": "31500.00",
    "department": "Claims",
    "position": "Handler",
    "full_name": "Grace Hopper",
    "date_of_birth": "1990-12-09",
    "address": "1 Dock Street, Leeds",
    "country": "GB",
    "national_id": "ab 12 34 56 c",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "email": "grace@example.org",
    "tax_code": "1257l",
    "ni_category": "A",
    "previous_pay": "9800.00",
    "previous_tax": "1050.00",
}


@pytest.fixture
def desk(tenant_a):
    """The pay group, an HR queue taking HR changes, and an agent cleared for it."""
    group = uk_group(tenant_a.client)
    queue = make_queue(group.engagement, name="HR changes", work_types=["payroll.hr_event"])
    agent = make_agent(group.engagement, skills={"hr": 3})
    with client_scope(clients=[tenant_a.client]):
        yield group, queue, agent


def _asked(tenant, queue, agent, payload) -> object:
    """The client's request, picked up and started by the agent."""
    item = work.submit_item(
        actor=tenant.client_user, queue=queue, work_type="payroll.hr_event", payload=payload
    )
    item = work.assign(actor=tenant.team_lead, item=item, agent=agent)
    return work.transition(actor=agent.user, item=item, action="start")


def _why_not_resolved(agent, item) -> str:
    with pytest.raises(InvalidInput) as refused:
        work.transition(actor=agent.user, item=item, action="resolve", resolution="done")
    return " ".join(refused.value.fields["checks"])


def test_a_requested_hire_is_applied_verified_by_a_second_person_then_resolved(tenant_a, desk):
    # protects: a new starter a client asks for reaches the payroll exactly as asked
    group, queue, agent = desk
    item = _asked(tenant_a, queue, agent, NEW_STARTER)
    stored = item.payload
    assert crypto.is_sealed(stored["national_id"])
    assert crypto.is_sealed(stored["iban"])
    assert stored["national_id"] != "AB123456C"

    assert "not applied" in _why_not_resolved(agent, item)

    event = hr_events.apply(actor=agent.user, item=item)
    employee = Employee.objects.get(client=tenant_a.client, employee_number="E-77")
    assert event.employee == employee
    assert event.status == HrEvent.Status.APPLIED
    assert crypto.open_sealed(employee.national_id) == "AB123456C"
    assert crypto.open_sealed(employee.full_name) == "Grace Hopper"
    assert employee.tax_code == "1257L"
    assert (employee.previous_tax_year, employee.previous_pay_minor) == ("2026-27", 980000)
    assert employee.previous_tax_minor == 105000
    first = selectors.employment_on(employee=employee, day=date(2026, 6, 1))
    assert first.annual_salary_minor == 3_150_000
    assert first.position == "Handler"
    assert first.pay_group == group
    assert selectors.employment_on(employee=employee, day=date(2026, 5, 31)) is None

    assert "not verified" in _why_not_resolved(agent, item)
    with pytest.raises(PermissionDenied, match="second person"):
        hr_events.verify(actor=agent.user, item=item)
    with pytest.raises(Conflict, match="already applied"):
        hr_events.apply(actor=agent.user, item=item)

    rows = hr_events.comparison(item, event)
    assert rows
    assert all(row["matches"] for row in rows)
    shown = " ".join(f"{row['requested']} {row['recorded']}" for row in rows)
    assert "AB123456C" not in shown
    assert "Grace Hopper" not in shown
    assert "WEST1234" not in shown

    verified = hr_events.verify(actor=tenant_a.team_lead, item=item)
    assert verified.status == HrEvent.Status.VERIFIED
    assert verified.verified_by == tenant_a.team_lead
    item.refresh_from_db()
    done = work.transition(actor=agent.user, item=item, action="resolve", resolution="Hired.")
    assert done.status == "resolved"
    with pytest.raises(Conflict, match="new change"):
        hr_events.undo(actor=tenant_a.team_lead, item=item, reason="oops")


def test_a_change_a_leave_and_a_termination_land_from_their_dates(tenant_a, desk):
    # protects: HR records say from which day new pay, a leave and a last day apply
    group, queue, agent = desk
    employee = hire(tenant_a.team_lead, group, "E-5", salary="30000.00")

    raise_item = _asked(
        tenant_a,
        queue,
        agent,
        {
            "event": "change",
            "employee_number": "E-5",
            "effective": "2026-07-01",
            "annual_salary": "33000",
            "position": "Senior handler",
            "reason": "promotion",
        },
    )
    hr_events.apply(actor=agent.user, item=raise_item)
    before = selectors.employment_on(employee=employee, day=date(2026, 6, 30))
    after = selectors.employment_on(employee=employee, day=date(2026, 7, 1))
    assert before.annual_salary_minor == 3_000_000
    assert before.valid_to == date(2026, 6, 30)
    assert after.annual_salary_minor == 3_300_000
    assert after.position == "Senior handler"
    hr_events.verify(actor=tenant_a.team_lead, item=raise_item)

    leave_item = _asked(
        tenant_a,
        queue,
        agent,
        {
            "event": "leave",
            "employee_number": "E-5",
            "effective": "2026-08-03",
            "return_date": "2026-09-01",
            "reason": "parental leave",
        },
    )
    hr_events.apply(actor=agent.user, item=leave_item)
    statuses = [
        selectors.employment_on(employee=employee, day=day).status
        for day in (date(2026, 8, 2), date(2026, 8, 3), date(2026, 8, 31), date(2026, 9, 1))
    ]
    assert statuses == ["active", "on_leave", "on_leave", "active"]
    assert selectors.employment_on(employee=employee, day=date(2026, 9, 1)).annual_salary_minor == (
        3_300_000
    )
    hr_events.verify(actor=tenant_a.team_lead, item=leave_item)

    end_item = _asked(
        tenant_a,
        queue,
        agent,
        {"event": "terminate", "employee_number": "E-5", "effective": "2026-10-30"},
    )
    event = hr_events.apply(actor=agent.user, item=end_item)
    assert selectors.employment_on(employee=employee, day=date(2026, 10, 30)) is not None
    assert selectors.employment_on(employee=employee, day=date(2026, 10, 31)) is None
    assert all(row["matches"] for row in hr_events.comparison(end_item, event))
    hr_events.verify(actor=tenant_a.team_lead, item=end_item)


def test_undo_puts_the_records_back_and_the_change_can_be_applied_again(tenant_a, desk):
    # protects: a wrongly applied change can be taken back before anyone relies on it
    group, queue, agent = desk
    employee = hire(tenant_a.team_lead, group, "E-6")
    history = [(r.valid_from, r.valid_to, r.reason) for r in selectors.history(employee=employee)]
    item = _asked(
        tenant_a,
        queue,
        agent,
        {
            "event": "leave",
            "employee_number": "E-6",
            "effective": "2026-08-03",
            "return_date": "2026-08-20",
        },
    )
    event = hr_events.apply(actor=agent.user, item=item)
    assert len(selectors.history(employee=employee)) == 3
    with pytest.raises(InvalidInput, match="why"):
        hr_events.undo(actor=agent.user, item=item, reason=" ")
    with pytest.raises(Conflict, match="reload"):
        hr_events.undo(actor=agent.user, item=item, reason="wrong dates", version=event.version + 5)
    undone = hr_events.undo(
        actor=agent.user, item=item, reason="wrong dates", version=event.version
    )
    assert undone.status == HrEvent.Status.UNDONE
    assert undone.note == "wrong dates"
    assert [
        (r.valid_from, r.valid_to, r.reason) for r in selectors.history(employee=employee)
    ] == history
    assert "not applied" in _why_not_resolved(agent, item)
    again = hr_events.apply(actor=agent.user, item=item)
    assert again.pk == event.pk
    assert again.status == HrEvent.Status.APPLIED

    hire_item = _asked(tenant_a, queue, agent, NEW_STARTER)
    hr_events.apply(actor=agent.user, item=hire_item)
    raise_item = _asked(
        tenant_a,
        queue,
        agent,
        {"event": "change", "employee_number": "E-77", "effective": "2026-09-01",
         "annual_salary": "33000"},
    )  # fmt: skip
    hr_events.apply(actor=agent.user, item=raise_item)
    with pytest.raises(Conflict, match="Later changes"):
        hr_events.undo(actor=agent.user, item=hire_item, reason="duplicate request")
    hr_events.undo(actor=agent.user, item=raise_item, reason="goes with the duplicate")
    hr_events.undo(actor=agent.user, item=hire_item, reason="duplicate request")
    assert not Employee.objects.filter(employee_number="E-77").exists()


def test_a_change_a_pay_run_has_used_cannot_be_undone(tenant_a, desk):
    # protects: pay already calculated from a change is never silently recalculated
    group, queue, agent = desk
    hire_item = _asked(tenant_a, queue, agent, {**NEW_STARTER, "effective": "2026-04-06"})
    hr_events.apply(actor=agent.user, item=hire_item)
    calculated(tenant_a.team_lead, group)
    with pytest.raises(Conflict, match="pay run has already used"):
        hr_events.undo(actor=agent.user, item=hire_item, reason="late")
    assert Employee.objects.filter(employee_number="E-77").exists()


def test_bad_requests_are_refused_with_the_reason(tenant_a, desk):
    # protects: a client's typo is caught when they ask, an impossible change when applied
    _group, queue, agent = desk
    for wrong, message in (
        ({"national_id": "AB 12 34 56 E"}, "National Insurance"),
        ({"iban": "GB82 WEST 1234 5698 7654 33"}, "IBAN"),
        ({"tax_code": "1257Q"}, "tax code"),
        ({"full_name": ""}, "full_name"),
        ({"annual_salary": "31,500"}, "annual_salary"),
        ({"routing_number": "011000015"}, "both"),
    ):
        with pytest.raises(InvalidInput) as refused:
            work.submit_item(
                actor=tenant_a.client_user,
                queue=queue,
                work_type="payroll.hr_event",
                payload={**NEW_STARTER, **wrong},
            )
        assert message in str(refused.value.fields) + refused.value.message
    with pytest.raises(InvalidInput):
        work.submit_item(
            actor=tenant_a.client_user,
            queue=queue,
            work_type="payroll.hr_event",
            payload={"event": "change", "employee_number": "E-5", "effective": "2026-07-01"},
        )

    unknown_group = _asked(tenant_a, queue, agent, {**NEW_STARTER, "pay_group": "Nowhere"})
    with pytest.raises(InvalidInput, match="No pay group named 'Nowhere'"):
        hr_events.apply(actor=agent.user, item=unknown_group)
    nobody = _asked(
        tenant_a,
        queue,
        agent,
        {"event": "terminate", "employee_number": "E-404", "effective": "2026-10-30"},
    )
    with pytest.raises(InvalidInput, match="No employee numbered 'E-404'"):
        hr_events.apply(actor=agent.user, item=nobody)
    assert not HrEvent.objects.exists()
    assert not Employment.objects.exists()


def test_a_us_account_number_that_passes_the_card_check_is_kept_whole(tenant_a, desk):
    # protects: an employee whose bank account number happens to be Luhn-valid (one in
    # ten of 13-17 digits) left unpayable because it was cut as a card number
    _group, queue, agent = desk
    account = "4111111111111111"  # Luhn-valid: the card check would cut it
    starter = {
        **NEW_STARTER,
        "employee_number": "E-88",
        "iban": "",
        "country": "US",
        "national_id": "",
        "routing_number": "011000015",
        "account_number": account,
        "address": f"PO box {account}",  # any other field still loses card numbers
    }
    item = _asked(tenant_a, queue, agent, starter)
    assert crypto.is_sealed(item.payload["account_number"])
    assert crypto.open_sealed(item.payload["address"]) == "PO box [card ••••1111]"
    hr_events.apply(actor=agent.user, item=item)
    employee = Employee.objects.get(client=tenant_a.client, employee_number="E-88")
    assert crypto.open_sealed(employee.account_number) == account
    assert employee.routing_number == "011000015"
