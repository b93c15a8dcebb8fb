"""Background work of payroll: calculating large runs and e-mailing payslips."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll import calculation, outputs
from tercero.services.payroll.models import PayResult, PayRun


def _client_of(run_id: int) -> int | None:
    with all_clients_scope():
        return PayRun.objects.filter(pk=run_id).values_list("client_id", flat=True).first()


@task
def calculate_run(run_id: int) -> int:
    """Calculate a run (or continue one a stopped worker left); returns employees done."""
    client_id = _client_of(run_id)
    if client_id is None:
        return 0
    with client_scope(clients=[client_id]):
        return calculation.calculate(run_id=run_id).employees_done


@task
def email_payslips(run_id: int) -> int:
    """Send each employee of a finalised run their payslip (once: a sent one is stamped)."""
    client_id = _client_of(run_id)
    if client_id is None:
        return 0
    with client_scope(clients=[client_id]):
        return send_payslips(run=PayRun.objects.select_related("pay_group__client").get(pk=run_id))


def enqueue_calculation(run: PayRun) -> None:
    """Calculate a started run: here when it is small, by a worker when it is not."""
    if run.employees_total <= calculation.INLINE_LIMIT:
        calculation.calculate(run_id=run.pk)
        return
    transaction.on_commit(lambda: calculate_run.enqueue(run.pk))


def send_payslips(*, run: PayRun) -> int:
    if run.status != PayRun.Status.FINALISED:
        return 0  # never before the run is final
    sent = 0
    pending = (
        PayResult.objects.filter(run=run, emailed_at__isnull=True)
        .exclude(employee__email="")
        .select_related("employee")
    )
    for result in pending.iterator(chunk_size=200):
        address = crypto.open_sealed(result.employee.email)
        message = EmailMessage(
            subject=f"Your payslip for {run.pay_date:%d %B %Y}",
            body=(
                f"Your payslip from {run.pay_group.client.legal_name} for the pay date "
                f"{run.pay_date:%d %B %Y} is attached.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        pdf = outputs.payslip_pdf(result=result, run=run, actor=None)
        message.attach(f"payslip-{run.pay_date:%Y-%m-%d}.pdf", pdf, "application/pdf")
        message.send()
        PayResult.objects.filter(pk=result.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
