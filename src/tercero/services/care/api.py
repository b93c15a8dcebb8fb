"""The care desk's API: raw e-mail delivered by a mail server or gateway."""

import json

from ninja import Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import cti, inbound, selectors
from tercero.services.care.models import CtiEndpoint

router = Router(tags=["care"])


class InboundOut(Schema):
    status: str
    item_id: int | None
    reason: str


@router.post(
    "/care/mailboxes/{mailbox_id}/inbound",
    response=InboundOut,
    openapi_extra={
        "requestBody": {
            # the raw message; mail servers may also send it as message/rfc822
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
def deliver(request, mailbox_id: int):
    """One raw RFC 822 message for this mailbox (the request body; larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413): it becomes a ticket, a message on its
    ticket, or a logged rejection (status says which). Delivering the same message
    again changes nothing."""
    caller = caller_of(request)
    mailbox = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    caller.require("work:write")
    if not request.body:
        raise InvalidInput("The body must be the raw e-mail.", fields={"body": "empty"})
    outcome = inbound.ingest(mailbox=mailbox, raw=request.body)
    return {"status": outcome.status, "item_id": outcome.item_id, "reason": outcome.reason}


class CallOut(Schema):
    item_id: int
    state: str


@router.post("/care/cti/{endpoint_id}/events", response=CallOut, auth=None)
def cti_event(request, endpoint_id: int):
    """A call event from a phone system, signed with the endpoint's secret in
    `Tercero-Signature` (see docs/care.md). Unsigned or stale: 401; replayed: 409."""
    with all_clients_scope():  # the signature, not a session, says who is calling
        endpoint = (
            CtiEndpoint.objects.filter(pk=endpoint_id).select_related("queue").first()
            if 0 < endpoint_id < 2**62
            else None
        )
    cti.check_signature(
        endpoint=endpoint, header=request.headers.get("Tercero-Signature", ""), body=request.body
    )
    try:
        event = json.loads(request.body)
    except ValueError:
        raise InvalidInput("The body is a JSON object.", fields={"body": "not JSON"}) from None
    if not isinstance(event, dict):
        raise InvalidInput("The body is a JSON object.", fields={"body": "not an object"})
    with client_scope(clients=[endpoint.client_id]):
        item = cti.record_event(endpoint=endpoint, event=event)
    return {"item_id": item.pk, "state": item.payload.get("state", "")}
