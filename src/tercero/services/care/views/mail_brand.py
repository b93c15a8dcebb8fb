"""The DKIM keys of a mailbox's sender domain, on its set-up page: make a key (the page
then shows the DNS TXT record the client publishes), start signing with it once the
record is published, or retire it. For people who set up the client's desk."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.pages import page
from tercero.services.care import outbound, selectors, signing
from tercero.services.care.models import Mailbox, SigningKey
from tercero.services.care.services import signing_keys
from tercero.services.care.services.automations import CARE_SETUP

DONE = {
    "make": "Signing key made. Publish its DNS record, then start signing with it.",
    "start": "Replies from this domain are now signed with the new key.",
    "retire": "The key is retired: nothing is signed with it any more.",
}


def signing_context(mailbox: Mailbox) -> dict:
    """What the mailbox page shows about DKIM: the domain, each key and its record."""
    keys = list(outbound.signing_keys(mailbox))
    taken = {key.selector for key in keys}
    suggested = f"tercero{timezone.now():%Y%m}"
    while suggested in taken:
        suggested += "b"
    return {
        "domain": mailbox.sending_domain,
        "suggested_selector": suggested,
        "keys": [
            {
                "key": key,
                "name": signing.record_name(domain=key.domain, selector=key.selector),
                "value": signing.record_value(key.public_key),
                "chunks": signing.record_chunks(key.public_key),
            }
            for key in keys
        ],
    }


def _key(mailbox: Mailbox, value: str) -> SigningKey:
    key = outbound.signing_keys(mailbox).filter(pk=int(value) if value.isdigit() else 0).first()
    if key is None:
        raise NotFound("Signing key not found.")
    return key


@require_POST
@page(CARE_SETUP, staff=True)
def signing_key_action(request, caller, mailbox_id: int):
    box = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    action = request.POST.get("action", "")
    try:
        if action == "make":
            selector = request.POST.get("selector", "")
            signing_keys.make_signing_key(actor=request.user, mailbox=box, selector=selector)
        elif action == "start":
            key = _key(box, request.POST.get("key", ""))
            signing_keys.start_signing(actor=request.user, key=key)
        elif action == "retire":
            key = _key(box, request.POST.get("key", ""))
            signing_keys.retire_signing_key(actor=request.user, key=key)
        else:
            raise InvalidInput("Choose to make a key, start signing or retire a key.")
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, DONE[action])
    return redirect(reverse("care:mailbox", args=[box.pk]) + "#signing")
