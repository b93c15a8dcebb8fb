"""How sales reach the crm line without it importing outbound (the independence
contract): its own outbox consumer reads `outbound.sale.made` and
`outbound.lead.converted`. The events carry ids and money only; the contact's name and
number come from the `outbound.call` work item the conversion event names, read through
the engine's selectors and copied still sealed under the client's key (the lookup hash
is taken from the opened value, inside the consumer's client scope).

- `outbound.sale.made`: an account and an opportunity for the lead (won, with the sale's
  value), and a `sale` conversion published as `crm.conversion.recorded`.
- `outbound.lead.converted`: the lead's contact on that account; a conversion of another
  kind (an appointment) is recorded with no value.
Both are idempotent: the conversion is unique per source event, and the account and
contact are found again by the lead's id."""

from typing import TYPE_CHECKING, Any

from django.db import transaction

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work.outbox import Consumer
from tercero.platform.security import crypto
from tercero.services.crm import services
from tercero.services.crm.models import Account, Contact, Opportunity

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent

SALE_MADE = "outbound.sale.made"
LEAD_CONVERTED = "outbound.lead.converted"


def _account_for(client_id: int, lead_id: int) -> Account:
    number = f"lead-{lead_id}"
    found = Account.objects.filter(client_id=client_id, number=number).first()
    return found or services.create_account(
        actor=None, client_id=client_id, name=f"Outbound lead {lead_id}", number=number
    )


def _opportunity_for(event: "WorkEvent", account: Account) -> Opportunity:
    data = event.data
    found = Opportunity.objects.filter(
        client_id=event.client_id, source_lead_id=data["lead_id"], account=account
    ).first()
    if found is not None:
        return found
    return services.create_opportunity(
        actor=None,
        account=account,
        title=f"Sale from campaign {data['campaign_id']}",
        value_minor=data["value_minor"],
        currency=data["currency"],
        engagement_id=event.engagement_id,
        source_campaign_id=data["campaign_id"],
        source_lead_id=data["lead_id"],
    )


def on_sale(event: "WorkEvent") -> None:
    data = event.data
    with transaction.atomic():
        account = _account_for(event.client_id, data["lead_id"])
        opportunity = _opportunity_for(event, account)
        if opportunity.stage != Opportunity.Stage.WON:
            services.update_opportunity(
                actor=None,
                opportunity=opportunity,
                version=opportunity.version,
                stage=Opportunity.Stage.WON,
                value_minor=data["value_minor"],
            )
        services.record_conversion(
            actor=None,
            client_id=event.client_id,
            kind="sale",
            value_minor=data["value_minor"],
            currency=data["currency"],
            occurred_at=_at(data),
            opportunity=opportunity,
            source_event_id=event.pk,
            campaign_id=data["campaign_id"],
            lead_id=data["lead_id"],
            agent_id=data.get("agent_id"),
            engagement_id=event.engagement_id,
        )


def _at(data: dict[str, Any]) -> Any:
    from django.utils.dateparse import parse_datetime

    value = data["occurred_at"]
    return parse_datetime(value) if isinstance(value, str) else value


def _contact_details(client_id: int, item_id: int | None) -> dict[str, str]:
    """The lead's name and number from the call's work item, in clear for hashing."""
    if not item_id:
        return {}
    item = (
        work_selectors.items(client_ids=[client_id], work_types=["outbound.call"])
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        return {}
    return {
        key: crypto.open_sealed(value) if crypto.is_sealed(value) else ""
        for key, value in ((k, item.payload.get(k)) for k in ("lead_name", "lead_phone"))
    }


def on_converted(event: "WorkEvent") -> None:
    data = event.data
    with transaction.atomic():
        account = _account_for(event.client_id, data["lead_id"])
        contact = Contact.objects.filter(
            client_id=event.client_id, source_lead_id=data["lead_id"]
        ).first()
        if contact is None:
            details = _contact_details(event.client_id, data.get("item_id"))
            contact = services.add_contact(
                actor=None,
                account=account,
                name=details.get("lead_name") or f"Lead {data['lead_id']}",
                phone=details.get("lead_phone", ""),
                source_lead_id=data["lead_id"],
            )
        Opportunity.objects.filter(
            client_id=event.client_id, source_lead_id=data["lead_id"], contact__isnull=True
        ).update(contact=contact)
        if data["kind"] != "sale" and data["kind"] in services.KINDS:
            services.record_conversion(
                actor=None,
                client_id=event.client_id,
                kind=data["kind"],
                value_minor=0,
                currency="USD",
                occurred_at=_at(data),
                source_event_id=event.pk,
                campaign_id=data["campaign_id"],
                lead_id=data["lead_id"],
                engagement_id=event.engagement_id,
            )


def handle(event: "WorkEvent") -> None:
    if event.kind == SALE_MADE:
        on_sale(event)
    elif event.kind == LEAD_CONVERTED:
        on_converted(event)


CONSUMER = Consumer(name="crm.intake", handle=handle, kinds=frozenset({SALE_MADE, LEAD_CONVERTED}))
