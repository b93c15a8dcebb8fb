"""The care desk's API: raw e-mail delivered by a mail server or gateway."""

from ninja import Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.services.care import inbound, selectors

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
