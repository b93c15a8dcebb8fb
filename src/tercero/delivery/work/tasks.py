"""The work engine's background jobs: the SLA sweeper, outbox consumers, webhooks."""

from django.tasks import task

from tercero.delivery.work import outbox, services, webhooks


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
