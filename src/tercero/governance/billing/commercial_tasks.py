"""Background work of the commercial terms: obligations whose due moment passed unmet are
recorded late (and the coming due moments scheduled), every quarter of an hour."""

from django.tasks import task
from django.utils import timezone

from tercero.governance.billing import obligations
from tercero.platform.tenancy.scoping import all_clients_scope


@task
def record_late_obligations() -> int:
    """Mark every overdue open obligation late, across clients. Returns how many."""
    with all_clients_scope():
        return obligations.record_late(now=timezone.now())
