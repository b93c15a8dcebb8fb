"""What the desk does when the customer writes (an e-mail on the ticket's thread, a line
in its chat): a ticket waiting on them is worked again, a finished one reopened, and a
`care.customer.replied` event tells the automations. Both inbound mail and the chat
call it, in the transaction that stores the customer's message."""

from typing import TYPE_CHECKING

from tercero.delivery.work import lifecycle, selectors
from tercero.delivery.work import services as work
from tercero.platform.errors import IllegalTransition
from tercero.services.care import events

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

# the ticket's status -> the engine's action and the reason it records
ON_CUSTOMER_REPLY = {
    lifecycle.WAITING_CUSTOMER: ("resume", "customer replied"),
    lifecycle.RESOLVED: ("reopen", "customer wrote again"),
    lifecycle.CLOSED: ("reopen", "customer wrote again"),
}


def customer_replied(*, ticket: "WorkItem", channel: str = "email") -> "WorkItem":
    """A ticket waiting on the customer is resumed (the engine's resume: back to its
    agent, the SLA clock running again with the wait taken off), a resolved or closed
    one is reopened; anything else stays as it is. A ticket someone moved meanwhile is
    left as they left it: the customer's message is kept either way."""
    current = selectors.access_item(client_ids=[ticket.client_id], item_id=ticket.pk)
    work.publish(
        kind=events.CUSTOMER_REPLIED,
        client_id=current.client_id,
        item=current,
        data={"item_id": current.pk, "channel": channel},
    )
    action, reason = ON_CUSTOMER_REPLY.get(current.status, ("", ""))
    if not action:
        return current
    try:
        return work.transition(actor=None, item=current, action=action, reason=reason)
    except IllegalTransition:
        return selectors.access_item(client_ids=[ticket.client_id], item_id=ticket.pk)
