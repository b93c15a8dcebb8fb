"""Reads for the care desk."""

from tercero.platform.errors import NotFound
from tercero.services.care.models import Mailbox


def access_mailbox(*, client_ids: list[int], mailbox_id: int) -> Mailbox:
    found = Mailbox.objects.filter(client_id__in=client_ids, pk=mailbox_id).first()
    if found is None:
        raise NotFound("Mailbox not found.")
    return found
