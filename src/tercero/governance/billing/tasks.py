"""Background work of commercials: productive hours metered from presence."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.tasks import task
from django.utils import timezone

from tercero.governance.billing import productive
from tercero.governance.billing.models import RateCard
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope

# days looked back each run: a worker that was down a day or two catches up
LOOK_BACK_DAYS = 3


@task
def meter_recent_days() -> int:
    """Productive hours of the last few ended days for every client with a rate card
    (hourly; a day already metered writes nothing). Returns the clients metered."""
    with all_clients_scope():
        client_ids = set(
            RateCard.objects.filter(is_active=True).values_list("client_id", flat=True)
        )
        clients = list(Client.objects.filter(pk__in=client_ids))
        for client in clients:
            today = timezone.now().astimezone(ZoneInfo(client.time_zone)).date()
            for back in range(1, LOOK_BACK_DAYS + 1):
                productive.meter_day(client=client, day=today - timedelta(days=back))
    return len(clients)
