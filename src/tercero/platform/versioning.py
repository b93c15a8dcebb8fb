"""Optimistic concurrency: an edit names the version it read; a stale one is refused."""

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F

from tercero.platform.errors import Conflict


def update_versioned(
    model: type[models.Model],
    *,
    pk: int,
    version: int,
    changes: dict[str, Any],
    what: str,
    taken: tuple[str, str] | None = None,
) -> None:
    """Apply `changes` to row `pk` if it is still at `version`, bumping the version.
    A stale version is 409 `stale_version`; a unique clash is 409 naming the field
    (`taken` = (field, message)) instead of a server error."""
    try:
        with transaction.atomic():
            updated = model._default_manager.filter(pk=pk, version=version).update(
                **changes, version=F("version") + 1
            )
    except IntegrityError as error:
        field, message = taken or ("", f"Another {what} already uses these values.")
        raise Conflict(message, fields={field: "already used"} if field else {}) from error
    if not updated:
        raise Conflict(
            f"The {what} changed since you loaded it; reload and retry.", code="stale_version"
        )
