"""Optimistic concurrency: an edit names the version it read; a stale one is refused."""

from django.db import IntegrityError, transaction
from django.db.models import F

from tercero.platform.errors import Conflict


def update_versioned(model, *, pk, version: int, changes: dict, what: str, taken=None) -> None:
    """Apply `changes` to row `pk` if it is still at `version`, bumping the version.
    A stale version is 409 `stale_version`; a unique clash is 409 naming the field
    (`taken` = (field, message)) instead of a server error."""
    try:
        with transaction.atomic():
            updated = model.objects.filter(pk=pk, version=version).update(
                **changes, version=F("version") + 1
            )
    except IntegrityError as error:
        field, message = taken or ("", f"Another {what} already uses these values.")
        raise Conflict(message, fields={field: "already used"} if field else {}) from error
    if not updated:
        raise Conflict(
            f"The {what} changed since you loaded it; reload and retry.", code="stale_version"
        )
