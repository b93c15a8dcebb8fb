from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.services import create_engagement


def load(context) -> None:
    """Northwind's errands engagement (once)."""
    client = context.clients["northwind"]
    if Engagement.objects.filter(client=client, name="Errands").exists():
        return
    create_engagement(
        actor=context.admin,
        client=client,
        name="Errands",
        service_line="errands",
        category="BPO",
        office="back",
        orientation="horizontal",
        pricing_model="per_transaction",
        time_zone=client.time_zone,
    )
