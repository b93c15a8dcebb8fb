"""Pay runs finalised or cancelled while their item stayed open (before a run's item
followed its run): the finalised runs' items are resolved as of the moment the run was
finalised, their SLA clock judged then; the cancelled runs' items are cancelled. Each
writes the `item.resolved` or `item.cancelled` event the engine's `close_for_record`
writes, so the audit chain takes it from the outbox as it takes any other.

A migration works on the models as they stood at this point of the history, so this
repeats `close_for_record`'s few writes on those instead of calling it. One difference:
an item waiting on the client or customer is closed without moving its due time by the
pause (the calendar that measures a pause is not part of the history).
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

OPEN = ("new", "queued", "assigned", "in_progress", "waiting_client", "waiting_customer")
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND"})


def _amount(minor: int, currency: str) -> str:
    """As `outputs.amount_text`: 5355305, GBP -> "£53,553.05"."""
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    value = Decimal(minor).scaleb(-places)
    digits = f"{abs(value):,.{places}f}"
    sign = "-" if value < 0 else ""
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{digits}"
    return f"{sign}{digits} {currency}"


def _finalised_text(run) -> str:
    """As `runs.finalised_text`."""
    count = run.employees_total
    employees = "1 employee" if count == 1 else f"{count} employees"
    return f"Pay run finalised: {employees}, net {_amount(run.net_minor, run.pay_group.currency)}."


def close_items_of_ended_runs(apps, schema_editor):
    from tercero.platform.tenancy.scoping import all_clients_scope

    pay_run = apps.get_model("payroll", "PayRun")
    models = {name: apps.get_model(app, name) for app, name in _ENGINE}
    now = timezone.now()
    with all_clients_scope():
        ended = (
            pay_run.objects.filter(
                status__in=("finalised", "cancelled"), work_item__status__in=OPEN
            )
            .select_related("pay_group", "work_item")
            .order_by("pk")
        )
        for run in ended:
            _close(run, models, now)


_ENGINE = (
    ("work", "WorkItem"),
    ("work", "Assignment"),
    ("work", "WorkEvent"),
    ("workforce", "Agent"),
)


def _close(run, models: dict, now) -> None:
    item = run.work_item
    finalised = run.status == "finalised"
    action = "resolve" if finalised else "cancel"
    at = (run.finalised_at or now) if finalised else now
    data = {"from": item.status, "to": "resolved" if finalised else "cancelled"}
    data["for_record"] = True
    if item.working_since is not None:
        item.handle_seconds += max(int((at - item.working_since).total_seconds()), 0)
        item.working_since = None
    item.waiting_since, item.waiting_on = None, ""
    if finalised:
        item.resolution = _finalised_text(run)
        item.resolved_at = at
        item.sla_met = None if item.due_at is None else at <= item.due_at
        data["sla_met"] = item.sla_met
    else:
        item.cancelled_at = at
        item.assignee_id = None
        data["reason"] = f"Pay run cancelled: {run.note or 'no reason given'}"
    _end_assignment(item, models, action, now)
    item.status = data["to"]
    item.updated_at = now
    item.version += 1
    item.save()
    models["WorkEvent"].objects.create(
        client_id=item.client_id,
        item_id=item.pk,
        engagement_id=item.engagement_id,
        kind=f"item.{data['to']}",
        actor_id=None,
        data=data,
        at=now,
    )


def _end_assignment(item, models: dict, reason: str, now) -> None:
    held = models["Assignment"].objects.filter(item_id=item.pk, ended_at__isnull=True).first()
    if held is None:
        return
    models["Assignment"].objects.filter(pk=held.pk).update(ended_at=now, end_reason=reason)
    if (
        not models["Assignment"]
        .objects.filter(agent_id=held.agent_id, ended_at__isnull=True)
        .exists()
    ):
        models["Agent"].objects.filter(pk=held.agent_id).update(idle_since=now)


class Migration(migrations.Migration):
    dependencies = [
        ("payroll", "0005_rule_versions"),
        ("work", "0009_workitem_subject_keys"),
        ("workforce", "0002_agents"),
    ]

    operations = [
        migrations.RunPython(close_items_of_ended_runs, migrations.RunPython.noop),
    ]
