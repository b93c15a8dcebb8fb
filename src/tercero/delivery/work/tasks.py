"""The work engine's background jobs: the SLA sweeper, outbox consumers, webhooks."""

from django.tasks import task
from django.utils import timezone

from tercero.delivery.work import outbox, privacy, services, webhooks
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope


@task
def sweep_sla() -> dict:
    """Raise at-risk and breach alerts that fell due (periodic)."""
    return services.sweep()


@task
def consume_events() -> dict:
    """Hand new work events to every registered consumer (periodic)."""
    return outbox.consume_all()


@task
def send_webhooks() -> dict:
    """Send webhook deliveries whose next attempt is due (periodic)."""
    return webhooks.send_due()


@task
def purge_expired() -> int:
    """Retention: purge personal data from finished work past each client's period."""
    purged = 0
    for client_id in Client.objects.exclude(status=Client.Status.OFFBOARDED).values_list(
        "pk", flat=True
    ):
        with client_scope(clients=[client_id]):
            purged += privacy.purge_expired(client_id=client_id, now=timezone.now())
    return purged
