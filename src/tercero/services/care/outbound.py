"""What the desk's e-mails carry so they thread and come back: the address they are sent
from (the mailbox the customer last wrote to) and the threading headers.

Message ids are never encoded: Python's e-mail package turns any word longer than a
line (Outlook's ids run to 80 characters and more) into an RFC 2047 encoded-word, which
no mail program reads as an id any more. `In-Reply-To` and `References` are therefore
written by `IdsHeader`, folded between ids and only there (RFC 5322 section 3.6.4).
`References` keeps the thread's root and its newest ids whole, up to MAX_REFERENCES.

Each mailbox is a client's brand: its sender name and address, its signature (plain and
HTML) below each agent's reply, and the DKIM key of its sender domain signing every
message the desk sends from it (`SignedMail`). A reply goes out as
`multipart/alternative` (plain text first, then sanitised HTML), with its CC recipients
and attachments.
"""

import email.policy
import email.utils
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from tercero.platform.errors import InvalidInput
from tercero.services.care import mail_html, signing
from tercero.services.care.models import Mailbox, Message, SigningKey

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

# Limits of a reply (the engine also refuses any one file over ATTACHMENT_MAX_BYTES):
# 15 MB of files is about 20 MB once base64-encoded, under the 25 MB that the common
# mail services accept in one message.
REPLY_MAX_FILES = 10
REPLY_MAX_BYTES = 15 * 1024 * 1024
REPLY_MAX_CC = 10

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


def signing_keys(mailbox: Mailbox):
    """The DKIM keys of the domain the mailbox sends from, newest first."""
    return SigningKey.objects.filter(client_id=mailbox.client_id, domain=mailbox.sending_domain)


def active_signer(mailbox: Mailbox) -> signing.Signer | None:
    """What signs the mailbox's mail: its domain's signing key, or None (unsigned)."""
    key = signing_keys(mailbox).filter(status=SigningKey.Status.ACTIVE).first()
    if key is None:
        return None
    return signing.signer(
        client_id=key.client_id,
        domain=key.domain,
        selector=key.selector,
        private_sealed=key.private_key,
    )


class SignedMail(EmailMultiAlternatives):
    """An e-mail that carries a DKIM-Signature over the very message the mail backend
    sends: `message()` builds it, serialises it under the backend's policy and signs
    those bytes (the boundary and Date are fixed by then, so sending writes the same)."""

    signer: signing.Signer | None = None

    def message(self, *, policy=email.policy.default):
        built = super().message(policy=policy)
        if self.signer is not None:
            raw = built.as_bytes(policy=built.policy.clone(linesep="\r\n"))
            name, value = self.signer.header(raw).decode().split(":", 1)
            built[name] = RawHeader(name, value.rstrip("\r\n"))
        return built


class RawHeader(str):
    """A header the e-mail package writes out exactly as given (its folding already
    done, as dkimpy folds the signature), with line ends in the policy's style."""

    name: str

    def __new__(cls, name: str, value: str) -> "RawHeader":
        made = super().__new__(cls, value)
        made.name = name
        return made

    def __reduce__(self):
        return (RawHeader, (self.name, str(self)))

    def fold(self, *, policy) -> str:
        lines = str(self).replace("\r\n", "\n").split("\n")
        return f"{self.name}:" + policy.linesep.join(lines) + policy.linesep


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Reply:
    """An agent's reply made ready to send: its plain text and sanitised HTML (both
    with the mailbox's signature), and the recipients it is copied to."""

    text: str
    html: str
    cc: tuple[str, ...]


def clean_cc(values: Sequence[str] | str, *, to: str, mailbox: Mailbox) -> tuple[str, ...]:
    """The CC addresses, checked: real addresses, at most REPLY_MAX_CC, never the
    customer again and never one of the client's own desk addresses (a loop)."""
    if isinstance(values, str):
        values = values.replace(";", ",").split(",")
    own = {
        address.lower()
        for pair in Mailbox.objects.filter(client_id=mailbox.client_id).values_list(
            "address", "sender_address"
        )
        for address in pair
        if address
    }
    cleaned: list[str] = []
    for value in values:
        address = email.utils.parseaddr(str(value).strip())[1].lower()
        if not str(value).strip():
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(
                f'"{str(value).strip()[:100]}" is not an e-mail address.', fields={"cc": "invalid"}
            ) from None
        if address in own:
            raise InvalidInput(
                "A desk address cannot be copied in: the copy would come back as a new ticket.",
                fields={"cc": "own address"},
            )
        if address != to.lower() and address not in cleaned:
            cleaned.append(address)
    if len(cleaned) > REPLY_MAX_CC:
        raise InvalidInput(
            f"A reply is copied to at most {REPLY_MAX_CC} addresses.", fields={"cc": "too many"}
        )
    return tuple(cleaned)


def check_attachment_sizes(sizes: Sequence[int]) -> None:
    """Refuse, in words, more files or bytes than one reply carries."""
    if len(sizes) > REPLY_MAX_FILES:
        raise InvalidInput(
            f"A reply carries at most {REPLY_MAX_FILES} files.", fields={"files": "too many"}
        )
    if sum(sizes) > REPLY_MAX_BYTES:
        raise InvalidInput(
            f"The files come to {_megabytes(sum(sizes))}; a reply carries at most "
            f"{_megabytes(REPLY_MAX_BYTES)} in all.",
            fields={"files": "too large"},
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def signed_reply(*, mailbox: Mailbox, text: str, html: str = "", cc=()) -> Reply:
    """The agent's words with the mailbox's signature, as plain text and HTML. `html`,
    when given, is sanitised and its plain twin made from it; else the HTML part is
    made from `text`."""
    markup = mail_html.sanitise(html) if html.strip() else mail_html.from_text(text)
    plain = mail_html.to_text(markup) if html.strip() else text
    if mailbox.signature_text or mailbox.signature_html:
        signature_html = mailbox.signature_html or mail_html.from_text(mailbox.signature_text)
        signature_text = mailbox.signature_text or mail_html.to_text(mailbox.signature_html)
        plain = f"{plain}\n\n-- \n{signature_text}"  # RFC 3676 section 4.3
        markup = f'{markup}<div class="signature">{signature_html}</div>'
    return Reply(text=plain, html=markup, cc=tuple(cc))


def compose(
    *,
    mailbox: Mailbox,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    headers: dict[str, str],
) -> SignedMail:
    """The e-mail as it leaves the mailbox: the brand's From, both parts, the files,
    and the domain's DKIM signature when the domain has a signing key."""
    sender = mailbox.from_address
    mail = SignedMail(
        subject=subject,
        body=text,
        from_email=email.utils.formataddr((mailbox.sender_name, sender)),
        to=[to],
        cc=list(cc),
        headers=headers,
    )
    if html:
        mail.attach_alternative(f"<!DOCTYPE html><html><body>{html}</body></html>", "text/html")
    for one in attachments:
        mail.attach(one.name, one.content, one.content_type)
    mail.signer = active_signer(mailbox)
    return mail
