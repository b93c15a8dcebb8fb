"""Reads of HR records."""

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Max, Q

from tercero.delivery.work import lifecycle
from tercero.delivery.work import selectors as work_selectors
from tercero.platform.errors import NotFound
from tercero.services.payroll.models import (
    Employee,
    Employment,
    HrEvent,
    PayGroup,
    PayResult,
    PayRuleSet,
    PayRun,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem


def access_employee(*, client_ids: list[int], employee_id: int) -> Employee:
    found = Employee.objects.filter(client_id__in=client_ids, pk=employee_id).first()
    if found is None:
        raise NotFound("Employee not found.")
    return found


def access_pay_group(*, client_ids: list[int], pay_group_id: int) -> PayGroup:
    found = PayGroup.objects.filter(client_id__in=client_ids, pk=pay_group_id).first()
    if found is None:
        raise NotFound("Pay group not found.")
    return found


def employment_on(*, employee: Employee, day: date) -> Employment | None:
    """The employment row in force on `day`, or None (not yet hired, or after leaving)."""
    return (
        Employment.objects.filter(employee=employee, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("pay_group")
        .first()
    )


def history(*, employee: Employee) -> list[Employment]:
    return list(
        Employment.objects.filter(employee=employee)
        .select_related("pay_group")
        .order_by("valid_from")
    )


def employees(*, client_ids: list[int]):
    return Employee.objects.filter(client_id__in=client_ids)


def pay_groups(*, client_ids: list[int]):
    return PayGroup.objects.filter(client_id__in=client_ids).order_by("name")


def runs(*, client_ids: list[int]):
    return PayRun.objects.filter(client_id__in=client_ids)


def access_run(*, client_ids: list[int], run_id: int) -> PayRun:
    found = (
        PayRun.objects.filter(client_id__in=client_ids, pk=run_id)
        .select_related("pay_group", "pay_group__client", "prepared_by", "approved_by")
        .first()
    )
    if found is None:
        raise NotFound("Pay run not found.")
    return found


def run_of_item(*, client_ids: list[int], item_id: int) -> PayRun:
    found = (
        PayRun.objects.filter(client_id__in=client_ids, work_item_id=item_id)
        .select_related("pay_group")
        .first()
    )
    if found is None:
        raise NotFound("Pay run not found.")
    return found


def access_result(*, run: PayRun, employee_id: int) -> PayResult:
    found = (
        PayResult.objects.filter(run=run, employee_id=employee_id)
        .select_related("employee")
        .first()
    )
    if found is None:
        raise NotFound("No payslip for this employee in this run.")
    return found


def hr_events(*, client_ids: list[int]):
    return HrEvent.objects.filter(client_id__in=client_ids).select_related(
        "client", "applied_by", "verified_by", "work_item"
    )


def hr_event_of_item(*, client_ids: list[int], item_id: int) -> tuple["WorkItem", HrEvent | None]:
    """An HR change item of these clients, with what was done about it (None: not yet)."""
    item = (
        work_selectors.items(client_ids=client_ids, work_type="payroll.hr_event")
        .filter(pk=item_id)
        .select_related("assignee")
        .first()
    )
    if item is None:
        raise NotFound("HR change not found.")
    return item, HrEvent.objects.filter(work_item=item).select_related("employee").first()


def hr_requests_waiting(*, client_ids: list[int]):
    """Open HR change items nobody has applied yet (or whose application was undone)."""
    applied = HrEvent.objects.exclude(status=HrEvent.Status.UNDONE).values("work_item_id")
    return (
        work_selectors.items(
            client_ids=client_ids, work_type="payroll.hr_event", status=list(lifecycle.OPEN)
        )
        .exclude(pk__in=applied)
        .select_related("client")
        .order_by("created_at")
    )


def rule_versions(group: PayGroup) -> list[tuple[PayRuleSet, int]]:
    """The pay group's rule versions, oldest first, each with how many runs (not
    cancelled) are calculated with it."""
    used = dict(
        PayRun.objects.filter(pay_group=group)
        .exclude(status=PayRun.Status.CANCELLED)
        .values_list("rules_version")
        .annotate(count=Count("pk"))
    )
    found = PayRuleSet.objects.filter(pay_group=group).select_related("created_by")
    return [(version, used.get(version.number, 0)) for version in found.order_by("number")]


def newest_rule_number(group: PayGroup) -> int | None:
    return group.rule_sets.aggregate(newest=Max("number"))["newest"]
