"""Customer satisfaction: when a ticket is resolved its requester gets one e-mail with a
link per score. The link is signed and names a random survey token (only its hash is
stored); it works once and expires after SURVEY_DAYS.

Opening a link records nothing: mail security scanners follow links in e-mails, so the
page shows the chosen score with a comment box and one button, and only that POST
counts.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.outbox import Consumer
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards
from tercero.services.care import events, inbound, outbound
from tercero.services.care.models import Survey

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkEvent, WorkItem

SURVEY_DAYS = 7
SURVEYED_TYPES = ("care.ticket", "support.ticket")
_SALT = "tercero.care.csat"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_token(token: str) -> str:
    return signing.Signer(salt=_SALT).sign(token)


def survey_of(signed: str) -> Survey:
    """The survey a link names: a bad signature, an unknown token, one already answered
    or expired are all 404 / 409 with a plain reason."""
    try:
        token = signing.Signer(salt=_SALT).unsign(signed)
    except signing.BadSignature:
        raise NotFound("This survey link is not valid.") from None
    survey = Survey.objects.filter(token_hash=_hash(token)).select_related("item").first()
    if survey is None:
        raise NotFound("This survey link is not valid.")
    return survey


def send_survey(*, ticket: "WorkItem", now=None) -> Survey | None:
    """Create the ticket's survey and e-mail it (after commit). None when there is no
    one to ask: no requester e-mail, no mailbox, or a survey already sent."""
    now = now or timezone.now()
    sealed = ticket.payload.get("requester_email")
    mailbox = outbound.sending_mailbox(ticket)
    if not crypto.is_sealed(sealed) or mailbox is None:
        return None
    if Survey.objects.filter(item=ticket).exists():
        return None
    token = secrets.token_urlsafe(24)
    survey = Survey.objects.create(
        client_id=ticket.client_id,
        item=ticket,
        token_hash=_hash(token),
        sent_at=now,
        expires_at=now + timedelta(days=SURVEY_DAYS),
    )
    signed = link_token(token)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    links = "\n".join(
        f"  {score} - {label}: {base}{reverse('care:survey', args=[signed])}?score={score}"
        for score, label in SCORES
    )
    body = (
        f'Your request "{ticket.title}" has been resolved.\n\n'
        f"How did we do? One click is enough:\n{links}\n\n"
        f"The link works once and for {SURVEY_DAYS} days."
    )
    # as the desk's other mail: the brand's sender, DKIM-signed when its domain signs
    email = outbound.compose(
        mailbox=mailbox,
        to=crypto.open_sealed(sealed),
        subject=f"How did we do? {inbound.token_of(ticket)}",
        text=body,
        headers={"Auto-Submitted": "auto-generated"},
    )
    transaction.on_commit(email.send)
    return survey


SCORES = (
    (5, "Very satisfied"),
    (4, "Satisfied"),
    (3, "Neither"),
    (2, "Dissatisfied"),
    (1, "Very dissatisfied"),
)


def answer(*, survey: Survey, score, comment: str = "", now=None) -> Survey:
    """Record the customer's answer once, with a `care.csat.received` event (the score,
    never the comment). A second answer or an expired link is 409."""
    now = now or timezone.now()
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise InvalidInput("Choose a score from 1 to 5.", fields={"score": "1-5"})
    if survey.expires_at <= now:
        raise Conflict("This survey has expired.", code="expired")
    comment = redact_cards((comment or "").strip())[:2000]
    with transaction.atomic():
        answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            answered_at=now, score=score, comment=comment
        )
        if not answered:
            raise Conflict("This survey was already answered. Thank you!", code="answered")
        survey.refresh_from_db()
        work.publish(
            kind=events.CSAT_RECEIVED,
            client_id=survey.client_id,
            item=survey.item,
            data={"survey_id": survey.pk, "item_id": survey.item_id, "score": score},
            at=now,
        )
    return survey


def _on_resolved(event: "WorkEvent") -> None:
    item = (
        work_selectors.items(client_ids=[event.client_id], work_types=SURVEYED_TYPES)
        .filter(pk=event.item_id)
        .first()
    )
    if item is not None:
        send_survey(ticket=item, now=event.at)


# sends the survey when a surveyed ticket is resolved (the care manifest registers it)
CONSUMER = Consumer(name="care.csat", handle=_on_resolved, kinds=frozenset({"item.resolved"}))
