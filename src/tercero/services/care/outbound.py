"""What the desk's e-mails carry so they thread and come back: the address they are sent
from (the mailbox the customer last wrote to) and the threading headers.

Message ids are never encoded: Python's e-mail package turns any word longer than a
line (Outlook's ids run to 80 characters and more) into an RFC 2047 encoded-word, which
no mail program reads as an id any more. `In-Reply-To` and `References` are therefore
written by `IdsHeader`, folded between ids and only there (RFC 5322 section 3.6.4).
`References` keeps the thread's root and its newest ids whole, up to MAX_REFERENCES.
"""

from typing import TYPE_CHECKING

from tercero.services.care.models import Mailbox, Message

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

# Ids in References at most: the root and the newest ones (RFC 5322 lets a client trim
# the middle of a long thread; mail programs thread on the root and the parent).
MAX_REFERENCES = 20


class IdsHeader(str):
    """A header of message ids that the e-mail package stores as it is and folds with
    `fold` (its policy hook for header objects): one id per line after the first when
    they do not fit on one, never split, never encoded."""

    name: str
    ids: tuple[str, ...]

    def __new__(cls, name: str, ids: list[str]) -> "IdsHeader":
        made = super().__new__(cls, " ".join(ids))
        made.name = name
        made.ids = tuple(ids)
        return made

    def __reduce__(self):  # copied and pickled whole (a test mailbox keeps copies)
        return (IdsHeader, (self.name, list(self.ids)))

    def fold(self, *, policy) -> str:
        limit = policy.max_line_length or 998
        start = f"{self.name}:"
        lines, line = [], start
        for one in self.ids:
            if line != start and len(line) + 1 + len(one) > limit:
                lines.append(line)
                line = ""
            line += f" {one}"
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def message_ids(values: list[str]) -> list[str]:
    """Well-formed ids (`<left@right>`, no spaces) in order, each once."""
    seen: list[str] = []
    for value in values:
        value = (value or "").strip()
        if (
            value.startswith("<")
            and value.endswith(">")
            and "@" in value
            and not any(c.isspace() for c in value)
            and value not in seen
        ):
            seen.append(value)
    return seen


def references(thread: list[str]) -> list[str]:
    """The thread's ids for `References`: all of them, or the root and the newest
    MAX_REFERENCES - 1 when the thread is longer."""
    ids = message_ids(thread)
    if len(ids) <= MAX_REFERENCES:
        return ids
    return [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def threading_headers(*, parent: str, thread: list[str]) -> dict[str, str]:
    """`In-Reply-To` (the message answered) and `References` (the thread ending with
    it), as header objects the e-mail package folds between ids; {} without a parent."""
    [parent_id] = message_ids([parent]) or [""]
    if not parent_id:
        return {}
    chain = [mid for mid in message_ids(thread) if mid != parent_id] + [parent_id]
    return {
        "In-Reply-To": IdsHeader("In-Reply-To", [parent_id]),
        "References": IdsHeader("References", references(chain)),
    }


def sending_mailbox(ticket: "WorkItem") -> Mailbox | None:
    """The address the desk answers from: the active mailbox the customer last wrote to
    on this ticket, else the one the ticket came in through, else the engagement's
    first active mailbox."""
    for directions in ([Message.Direction.INBOUND], [Message.Direction.OUTBOUND]):
        used = (
            Message.objects.filter(item=ticket, direction__in=directions, mailbox__is_active=True)
            .order_by("-created_at", "-id")
            .select_related("mailbox")
            .first()
        )
        if used is not None:
            return used.mailbox
    return (
        Mailbox.objects.filter(engagement_id=ticket.engagement_id, is_active=True)
        .order_by("id")
        .first()
    )
