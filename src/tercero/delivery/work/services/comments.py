"""Notes on items."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import personal
from tercero.delivery.work.models import Comment, WorkItem
from tercero.delivery.work.services._common import _first_response, _log
from tercero.platform.errors import InvalidInput

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def comment(*, actor: "User", item: WorkItem, body: str, internal: bool = True) -> Comment:
    """A note on the item. A reply to the customer (not internal) by the provider side
    counts as the first response."""
    body = personal.clean_text(body.strip())
    if not body:
        raise InvalidInput("The comment is empty.", fields={"body": "required"})
    now = timezone.now()
    with transaction.atomic():
        note = Comment.objects.create(
            client_id=item.client_id,
            item=item,
            author=actor,
            body=body,
            internal=internal,
            created_at=now,
        )
        if not internal and actor.client_id is None:
            current = WorkItem.objects.select_for_update().get(pk=item.pk)
            if current.first_response_at is None:
                _first_response(current, now)
                current.save(
                    update_fields=["first_response_at", "due_at", "at_risk_at", "route_due_at"]
                )
                _log(current, "item.responded", actor, {}, at=now)
        _log(item, "item.commented", actor, {"comment_id": note.pk, "internal": internal}, at=now)
    return note
