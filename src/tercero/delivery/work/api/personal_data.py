"""Personal data in items: break-glass access, reveal, and a data subject's export
and erasure."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from tercero.delivery.work import privacy, selectors, services
from tercero.delivery.work.api._common import _item
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.errors import NotFound, PermissionDenied

router = Router()


class AccessIn(Schema):
    reason: str = Field(min_length=10, max_length=500)


class AccessOut(Schema):
    item_id: int
    expires_at: datetime


@router.post("/work-items/{item_id}/access", response=AccessOut, tags=["personal data"])
def break_glass(request: HttpRequest, item_id: int, body: AccessIn) -> dict[str, object]:
    """Open an item routing did not give you, with a reason: audited, and your team
    lead is alerted at once. Residency rules are never lifted this way."""
    caller = caller_of(request)
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    caller.require("work:read")
    grant = services.break_glass(actor=caller.user, item=item, reason=body.reason)
    return {"item_id": item.pk, "expires_at": grant.expires_at}


class RevealIn(Schema):
    reason: str = Field(min_length=5, max_length=500)


class RevealOut(Schema):
    status: str = Field(description="granted, or pending while a supervisor must approve")
    expires_at: datetime
    fields: dict[str, str | None]


@router.post("/work-items/{item_id}/reveal", response=RevealOut, tags=["personal data"])
def reveal_item(request: HttpRequest, item_id: int, body: RevealIn) -> dict[str, object]:
    """The item's personal fields in clear for a few minutes (REVEAL_SECONDS), with the
    reason recorded in the audit trail. Needs `personal:reveal`."""
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("personal:reveal")
    values, grant = services.reveal(actor=caller.user, item=item, reason=body.reason)
    return {"status": grant.status, "expires_at": grant.expires_at, "fields": values}


@router.get("/work-items/{item_id}/personal", response=RevealOut, tags=["personal data"])
def personal_fields(request: HttpRequest, item_id: int) -> dict[str, object]:
    """The personal fields again while an earlier reveal is still live; 403 after."""
    caller = caller_of(request)
    item = _item(caller, item_id)
    caller.require("personal:reveal")
    shown = services.revealed(actor=caller.user, item=item)
    if shown is None:
        raise PermissionDenied("No live reveal: ask again with a reason.")
    values, grant = shown
    return {"status": grant.status, "expires_at": grant.expires_at, "fields": values}


class SubjectIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    value: str = Field(min_length=3, max_length=200, description="name, e-mail or id on record")


class ErasureOut(Schema):
    items_erased: int


def _subject_client(caller: Caller, client_id: int) -> int:
    caller.require("privacy:write")
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    return client_id


@router.post("/privacy/subject-export", tags=["personal data"])
def subject_export(request: HttpRequest, body: SubjectIn) -> dict[str, Any]:
    """Everything the client's work holds about one person, as JSON (audited under a
    pseudonym). Client admins and provider admins."""
    caller = caller_of(request)
    client_id = _subject_client(caller, body.client_id)
    return privacy.export_subject(actor=caller.user, client_id=client_id, value=body.value)


@router.post("/privacy/subject-erasure", response=ErasureOut, tags=["personal data"])
def subject_erasure(request: HttpRequest, body: SubjectIn) -> dict[str, int]:
    """Erase one person's data from every item of the client that holds it."""
    caller = caller_of(request)
    client_id = _subject_client(caller, body.client_id)
    return {
        "items_erased": privacy.erase_subject(
            actor=caller.user, client_id=client_id, value=body.value
        )
    }
