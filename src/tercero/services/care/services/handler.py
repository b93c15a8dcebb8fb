"""What the agent handling a conversation may read without a reveal: the customer's
name, to greet and address them. Everyone else (and every other personal field) keeps
the mask; a name shown is an audit event like any other read of personal data."""

from typing import TYPE_CHECKING

from django.db import transaction

from tercero.delivery.work.personal import opened
from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.audit.services import record

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.identity.models import User

NAME_FIELD = "requester_name"


def customer_name_for(*, user: "User", ticket: "WorkItem") -> str:
    """The customer's name in clear when `user` is the agent holding the ticket, else ""."""
    agent = own_agent(user)
    if agent is None or ticket.assignee_id != agent.pk:
        return ""
    name = opened(ticket.payload, [NAME_FIELD])[NAME_FIELD]
    if not name:
        return ""
    with transaction.atomic():
        record(
            action="care.customer_name.shown",
            actor=user,
            client=ticket.client_id,
            object_type="work_item",
            object_id=ticket.pk,
            payload={"field": NAME_FIELD, "why": "handling the conversation"},
        )
    return str(name)
