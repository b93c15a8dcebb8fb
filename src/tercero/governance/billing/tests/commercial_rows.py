"""Client B's obligation and one of its due moments for the isolation matrix
(tests/isolation/worlds.py): routes taking their ids are tried by other clients' people."""

from datetime import date, time

from tests.factories import engagement_for

from tercero.governance.billing import obligations
from tercero.governance.billing.models import ObligationOccurrence
from tercero.platform.tenancy.scoping import client_scope


def commercial_rows(tenant) -> dict[str, int]:
    engagement = engagement_for(tenant.client, name="Obligations of B")
    with client_scope(clients=[tenant.client]):
        obligation = obligations.create_obligation(
            actor=None,
            engagement=engagement,
            fields={
                "title": "Volume forecast",
                "side": "client",
                "due_date": date(2026, 11, 20),
                "due_time": time(17),
            },
        )
        occurrence = ObligationOccurrence.objects.get(obligation=obligation)
    return {"obligation_id": obligation.pk, "occurrence_id": occurrence.pk}
