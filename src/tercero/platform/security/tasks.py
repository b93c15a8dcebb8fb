"""Background work for the key life cycle."""

import logging

from django.tasks import task
from django.utils import timezone

from tercero.platform.security import detector, services
from tercero.platform.tenancy.scoping import client_scope

logger = logging.getLogger(__name__)


@task
def reencrypt_client(client_id: int) -> int:
    """Move every sealed value of one client onto its active key (after a rotation)."""

    def progress(label: str, done: int, total: int) -> None:
        logger.info("re-encrypting client %s: %s %d/%d rows", client_id, label, done, total)

    with client_scope(clients=[client_id]):
        moved = services.reencrypt(client_id=client_id, progress=progress)
    logger.info("re-encrypted client %s: %d values moved", client_id, moved)
    return moved


@task
def detect_misuse() -> int:
    """Scan the last hour of the audit trail for insider misuse (scheduled)."""
    return len(detector.detect(now=timezone.now()))
