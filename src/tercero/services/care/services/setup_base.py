"""What every part of the desk's set-up shares: refusing fields nobody may set, the
audit event each change writes, and the words a form's text boxes are read as."""

from typing import Any

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput

CARE_COPY = "care:copy_setup"


def refuse_unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput(
            "These fields cannot be set.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )


def lines_of(raw: Any, *, commas: bool = False) -> list[str]:
    """A list as given, or the lines (and, with `commas`, comma-separated parts) of a
    text box; blank entries dropped, inner spaces collapsed."""
    if isinstance(raw, list | tuple):
        given = [str(value) for value in raw]
    else:
        text = str(raw or "")
        given = text.replace(",", "\n").splitlines() if commas else text.splitlines()
    return [" ".join(value.split()) for value in given if value.strip()]


def audit(action: str, actor, row, **payload) -> None:
    record(
        action=action,
        actor=actor,
        client=row.client_id,
        object_type=type(row).__name__.lower(),
        object_id=row.pk,
        payload=payload,
    )


def changed_names(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if after[name] != before.get(name))
