"""IMAP polling: each message of a mailbox's folder is ingested, then moved to
`Processed` (or `Rejected` when it became no ticket). Ingestion commits before the
move, and a message seen before is a no-op, so a poller killed between the two leaves
nothing half-done: the next poll finds the message, records nothing new, and moves it.
A message that cannot be ingested at all stays where it is and is logged."""

import logging
from dataclasses import dataclass, field

from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from tercero.platform.security.crypto import open_secret, seal_secret
from tercero.services.care import inbound
from tercero.services.care.models import Mailbox

logger = logging.getLogger(__name__)
PROCESSED = "Processed"
REJECTED = "Rejected"
BATCH = 100
SECRET_CONTEXT = "imap"


@dataclass
class PollReport:
    created: int = 0
    threaded: int = 0
    duplicate: int = 0
    rejected: int = 0
    failed: list[str] = field(default_factory=list)


def set_imap_password(*, mailbox: Mailbox, password: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_password=seal_secret(password, context=SECRET_CONTEXT)
    )


def poll(*, mailbox: Mailbox, timeout: float = 30) -> PollReport:
    """Fetch, ingest and file away up to BATCH messages of the mailbox's folder."""
    report = PollReport()
    try:
        with IMAPClient(
            mailbox.imap_host, port=mailbox.imap_port, ssl=mailbox.imap_ssl, timeout=timeout
        ) as imap:
            imap.login(
                mailbox.imap_user, open_secret(mailbox.imap_password, context=SECRET_CONTEXT)
            )
            for folder in (PROCESSED, REJECTED):
                if not imap.folder_exists(folder):
                    imap.create_folder(folder)
            imap.select_folder(mailbox.imap_folder)
            for uid in imap.search(["NOT", "DELETED"])[:BATCH]:
                _one(imap, mailbox, uid, report)
            imap.expunge()
    except (IMAPClientError, OSError) as error:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_poll_error=f"{type(error).__name__}: {error}"[:300]
        )
        logger.warning("polling mailbox %s failed: %s", mailbox.pk, type(error).__name__)
        return report
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error="")
    return report


def _one(imap: IMAPClient, mailbox: Mailbox, uid: int, report: PollReport) -> None:
    fetched = imap.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    raw = fetched.get(b"BODY[]")
    if raw is None:
        return
    try:
        outcome = inbound.ingest(mailbox=mailbox, raw=raw)
    except Exception:  # the message stays for the next poll; the poller goes on
        logger.exception("mailbox %s: message uid %s could not be ingested", mailbox.pk, uid)
        report.failed.append(str(uid))
        return
    setattr(report, outcome.status, getattr(report, outcome.status) + 1)
    target = REJECTED if outcome.status == "rejected" else PROCESSED
    if imap.has_capability("MOVE"):
        imap.move([uid], target)
    else:
        imap.copy([uid], target)
        imap.delete_messages([uid])
