"""Background work of the outbound line."""

from django.tasks import task

from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.outbound import scrub
from tercero.services.outbound.models import Campaign


@task
def rescrub_open_leads() -> int:
    """Scrub again the unfinished leads of every campaign not closed (every six hours):
    consent withdrawn or expired and registry entries added by other paths take effect
    even if nothing touched the lead. How many leads changed status."""
    with all_clients_scope():
        clients = sorted(
            set(
                Campaign.objects.exclude(status=Campaign.Status.CLOSED).values_list(
                    "client_id", flat=True
                )
            )
        )
    changed = 0
    for client_id in clients:
        with client_scope(clients=[client_id]):
            changed += scrub.rescrub(client_id=client_id)
    return changed
