"""Every change to contact verifications and verification pages; each writes its audit
event. Codes are 6 random digits, shown once and stored only as a keyed hash."""

import hmac
import ipaddress
import secrets
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from tercero.delivery.contact import details, selectors
from tercero.delivery.contact.details import ContactDetail
from tercero.delivery.contact.models import ContactVerification, LookupCounter, VerificationPage
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from tercero.platform.security.crypto import lookup_hash
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.identity.models import User

Direction = ContactVerification.Direction
Channel = ContactVerification.Channel
Status = ContactVerification.Status

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_CODES = 5
# Checks on a public page, counted per fixed window in the database (shared by every
# web process): per source address and per contact checked.
THROTTLE_WINDOW_SECONDS = 600
LOOKUPS_PER_ADDRESS = 10
LOOKUPS_PER_CONTACT = 5
COUNTERS_KEPT = timedelta(days=1)


class TooManyChecks(DomainError):
    status = 429
    code = "throttled"


class CodeNotSent(DomainError):
    """The mail server refused or could not be reached; nothing stays active."""

    status = 503
    code = "not_sent"


# --- codes ------------------------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_hash(client_id: int, code: str, salt: str | None = None) -> str:
    """A keyed HMAC under the client's index key, salted per row: without the key the
    million possible codes cannot be tried against the stored hash."""
    salt = salt or secrets.token_hex(8)
    return f"{salt}${lookup_hash(client_id, f'code.{salt}.{code}')}"


def code_matches(verification: ContactVerification, code: str) -> bool:
    salt, _, _ = verification.code_hash.partition("$")
    expected = _code_hash(verification.client_id, code, salt)
    return hmac.compare_digest(expected, verification.code_hash)


def typed_code(value: str) -> str:
    """A code as a person types it ("482 913"): six digits, or "" for none."""
    code = "".join((value or "").split()).replace("-", "")
    if code and not (len(code) == CODE_DIGITS and code.isdigit()):
        raise InvalidInput(f"The code has {CODE_DIGITS} digits.", fields={"code": "6 digits"})
    return code


# --- issuing ----------------------------------------------------------------------------


def issue_outbound(
    *,
    actor: "User",
    client_id: int,
    channel: str,
    contact: str,
    now: datetime,
    work_item: "WorkItem | None" = None,
    engagement: "Engagement | None" = None,
) -> tuple[ContactVerification, str]:
    """An agent is about to call, text or e-mail a customer: a code bound to that
    contact, that agent and that client, valid CODE_LIFETIME. Returns it once."""
    _require_staff(actor)
    if channel not in Channel.values:
        raise InvalidInput("Unknown channel.", fields={"channel": ", ".join(Channel.values)})
    detail = details.parse_for_channel(channel, contact)
    engagement = _bound(client_id, work_item, engagement)
    _require_page(client_id)
    return _issue(
        actor=actor,
        client_id=client_id,
        direction=Direction.OUTBOUND,
        channel=channel,
        detail=detail,
        work_item=work_item,
        engagement=engagement,
        now=now,
    )


def send_caller_code(
    *,
    actor: "User",
    client_id: int,
    email: str,
    now: datetime,
    work_item: "WorkItem | None" = None,
    engagement: "Engagement | None" = None,
) -> ContactVerification:
    """A customer calls in: e-mail a code to the address on record; the caller proves
    they hold that mailbox by reading the code back. With a work item, the address must
    be one of the item's own personal details."""
    _require_staff(actor)
    detail = details.parse_email(email)
    engagement = _bound(client_id, work_item, engagement)
    if work_item is not None and lookup_hash(client_id, detail.key) not in (
        work_item.subject_keys or []
    ):
        raise InvalidInput(
            "That address is not on this work item's record.", fields={"email": "not on record"}
        )
    verification, code = _issue(
        actor=actor,
        client_id=client_id,
        direction=Direction.INBOUND,
        channel=Channel.EMAIL,
        detail=detail,
        work_item=work_item,
        engagement=engagement,
        now=now,
    )
    try:
        _mail_code(client_id=client_id, address=detail.normalised, code=code)
    except (OSError, smtplib.SMTPException) as error:
        with transaction.atomic():
            ContactVerification.objects.filter(pk=verification.pk).update(
                status=Status.ENDED, finished_at=now, outcome="not_sent"
            )
            _audit("contact.caller_code_unsent", actor, verification, error=type(error).__name__)
        raise CodeNotSent("The code could not be e-mailed; try again in a moment.") from error
    return verification


def _issue(
    *,
    actor: "User",
    client_id: int,
    direction: str,
    channel: str,
    detail: ContactDetail,
    work_item: "WorkItem | None",
    engagement: "Engagement | None",
    now: datetime,
) -> tuple[ContactVerification, str]:
    code = _new_code()
    with transaction.atomic():
        contact_hash = lookup_hash(client_id, detail.key)
        # One live code per contact and direction: a newer contact ends the older one.
        superseded = ContactVerification.objects.filter(
            client_id=client_id,
            direction=direction,
            contact_hash=contact_hash,
            status=Status.ACTIVE,
        ).update(status=Status.ENDED, finished_at=now, outcome="superseded")
        verification = ContactVerification.objects.create(
            client_id=client_id,
            direction=direction,
            channel=channel,
            agent=actor,
            work_item=work_item,
            engagement=engagement,
            contact_hash=contact_hash,
            contact_shown=detail.shown,
            code_hash=_code_hash(client_id, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        _audit(ISSUED_ACTIONS[direction], actor, verification, superseded=superseded)
    return verification, code


ISSUED_ACTIONS: dict[str, str] = {
    Direction.OUTBOUND: "contact.outbound_issued",
    Direction.INBOUND: "contact.caller_code_sent",
}


class NoVerificationPage(Conflict):
    code = "no_verification_page"


def _require_page(client_id: int) -> None:
    """An outbound code is only worth giving when the customer can check it: the client
    needs an active verification page first."""
    if selectors.page_of(client_id=client_id) is None:
        name = Client.objects.filter(pk=client_id).values_list("legal_name", flat=True).first()
        raise NoVerificationPage(
            f"{name} has no verification page, so the customer could not check a code. "
            "Set one up first (Contact desk, Verification pages).",
            fields={"client": "no verification page"},
        )


def _require_staff(actor: "User | None") -> None:
    if actor is None or not actor.is_provider_staff:
        raise PermissionDenied("Only the provider's staff issue verification codes.")


def _bound(
    client_id: int, work_item: "WorkItem | None", engagement: "Engagement | None"
) -> "Engagement | None":
    """The engagement the contact is about; the item and engagement must be the client's."""
    if work_item is not None:
        if work_item.client_id != client_id:
            raise InvalidInput(
                "The work item belongs to another client.", fields={"work_item_id": "mismatch"}
            )
        engagement = engagement or work_item.engagement
    if engagement is not None and engagement.client_id != client_id:
        raise InvalidInput(
            "The engagement belongs to another client.", fields={"engagement_id": "mismatch"}
        )
    return engagement


def _mail_code(*, client_id: int, address: str, code: str) -> None:
    name = display_name_of(client_id=client_id)
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    send_mail(
        subject=f"Your {name} verification code: {code}",
        message=(
            f"You are on the phone with {name}. To prove it is you, read this code to the\n"
            f"agent: {code}\n\n"
            f"It works once and expires in {minutes} minutes.\n\n"
            f"If you did not call {name} just now, do not share this code with anyone: "
            f"{name} never asks you for it on a call it made to you."
        ),
        from_email=None,
        recipient_list=[address],
    )


def display_name_of(*, client_id: int) -> str:
    """How customers know the client: its verification page's name, else its legal name."""
    page = selectors.page_of(client_id=client_id)
    if page is not None:
        return page.display_name
    return Client.objects.filter(pk=client_id).values_list("legal_name", flat=True).first() or ""


# --- confirming and ending ------------------------------------------------------------


def confirm_caller(
    *, actor: "User", verification: ContactVerification, code: str, now: datetime
) -> ContactVerification:
    """The agent types the code the caller read back. Wrong codes count; the
    MAX_WRONG_CODES-th, or a code past its time, ends the check as failed."""
    _require_staff(actor)
    code = typed_code(code)
    if not code:
        raise InvalidInput("Type the code the caller reads to you.", fields={"code": "required"})
    with transaction.atomic():
        locked = ContactVerification.objects.select_for_update().get(pk=verification.pk)
        if locked.direction != Direction.INBOUND:
            raise Conflict("Only a caller's check takes a code here.", code="not_inbound")
        outcome = _judge_caller(actor, locked, code, now)
    if outcome == "wrong_code":
        left = MAX_WRONG_CODES - locked.wrong_attempts
        raise InvalidInput(
            f"That code is wrong; {left} {'try' if left == 1 else 'tries'} left.",
            code="wrong_code",
            fields={"code": f"wrong; {left} left"},
        )
    if outcome != "confirmed":
        raise Conflict(_ENDED_MESSAGES[outcome], code=outcome)
    return locked


_ENDED_MESSAGES = {
    "expired": "The code has expired; send a new one.",
    "too_many_wrong_codes": "Too many wrong codes; the caller is not verified.",
    "ended": "This check has ended; send a new code.",
}


def _judge_caller(actor: "User", locked: ContactVerification, code: str, now: datetime) -> str:
    if locked.status != Status.ACTIVE:
        return "ended"
    if now >= locked.expires_at:
        return _fail(actor, locked, "expired", now)
    if code_matches(locked, code):
        locked.status, locked.used_at, locked.finished_at = Status.CONFIRMED, now, now
        locked.outcome = "confirmed"
        locked.save(update_fields=["status", "used_at", "finished_at", "outcome"])
        _audit("contact.caller_verified", actor, locked)
        return "confirmed"
    locked.wrong_attempts += 1
    if locked.wrong_attempts >= MAX_WRONG_CODES:
        return _fail(actor, locked, "too_many_wrong_codes", now)
    locked.save(update_fields=["wrong_attempts"])
    return "wrong_code"


def _fail(actor: "User", locked: ContactVerification, outcome: str, now: datetime) -> str:
    locked.status, locked.finished_at, locked.outcome = Status.FAILED, now, outcome
    locked.save(update_fields=["status", "finished_at", "outcome", "wrong_attempts"])
    _audit("contact.caller_failed", actor, locked, outcome=outcome)
    return outcome


def end_verification(
    *, actor: "User", verification: ContactVerification, now: datetime
) -> ContactVerification:
    """The call is over: the code stops working at once."""
    _require_staff(actor)
    with transaction.atomic():
        locked = ContactVerification.objects.select_for_update().get(pk=verification.pk)
        if locked.status != Status.ACTIVE:
            raise Conflict("This verification has already finished.", code="finished")
        locked.status, locked.finished_at, locked.outcome = Status.ENDED, now, "ended_by_agent"
        locked.save(update_fields=["status", "finished_at", "outcome"])
        _audit("contact.verification_ended", actor, locked)
    return locked


def _audit(
    action: str, actor: "User | None", verification: ContactVerification, **extra: object
) -> None:
    record(
        action=action,
        actor=actor,
        client=verification.client_id,
        object_type="contact_verification",
        object_id=verification.pk,
        payload={
            "direction": verification.direction,
            "channel": verification.channel,
            "work_item_id": verification.work_item_id,
            "engagement_id": verification.engagement_id,
            **extra,
        },
    )


# --- the public page --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """What the customer learns: "none" (nobody is contacting them), "active" (someone
    is; ask for the code), "confirmed" (the code is right), "mismatch" (a wrong code) or
    "used" (a right code already checked once)."""

    outcome: str
    agent_first_name: str = ""
    channel: str = ""
    code: str = ""
    expires_at: datetime | None = None
    used_at: datetime | None = None


def check_contact(
    *, page: VerificationPage, contact: str, code: str, ip_address: str | None, now: datetime
) -> CheckResult:
    """A customer asks whether someone from the provider is contacting them. Runs in
    the page's client only; throttled per source address and per contact."""
    with client_scope(clients=[page.client_id]):
        _throttle(page, kind="ip", key=_address_key(ip_address), limit=LOOKUPS_PER_ADDRESS, now=now)
        detail = details.parse_any(contact)
        code = typed_code(code)
        contact_hash = lookup_hash(page.client_id, detail.key)
        _throttle(page, kind="contact", key=contact_hash, limit=LOOKUPS_PER_CONTACT, now=now)
        with transaction.atomic():
            result, matched = _judge_check(page.client_id, contact_hash, code, now)
            record(
                action="contact.verification_checked",
                client=page.client_id,
                object_type="contact_verification",
                object_id=matched.pk if matched else "",
                payload={"page": page.slug, "outcome": result.outcome, "with_code": bool(code)},
            )
    return result


def _judge_check(
    client_id: int, contact_hash: str, code: str, now: datetime
) -> tuple[CheckResult, ContactVerification | None]:
    live = (
        ContactVerification.objects.select_for_update(of=("self",))
        .filter(
            client_id=client_id,
            direction=Direction.OUTBOUND,
            contact_hash=contact_hash,
            status=Status.ACTIVE,
            expires_at__gt=now,
        )
        .select_related("agent")
        .order_by("-created_at")
        .first()
    )
    if live is None:
        return _already_used(client_id, contact_hash, code, now)
    live.checked_at = now
    if not code:
        live.save(update_fields=["checked_at"])
        return _result("active", live), live
    if not code_matches(live, code):
        live.wrong_attempts += 1
        live.save(update_fields=["checked_at", "wrong_attempts"])
        return CheckResult("mismatch"), live
    live.status, live.used_at, live.outcome = Status.CONFIRMED, now, "confirmed_by_customer"
    live.save(update_fields=["checked_at", "status", "used_at", "outcome"])
    return _result("confirmed", live, code=code), live


def _already_used(
    client_id: int, contact_hash: str, code: str, now: datetime
) -> tuple[CheckResult, ContactVerification | None]:
    if code:
        recent = selectors.recently_used(
            client_id=client_id, contact_hash=contact_hash, since=now - CODE_LIFETIME
        )
        for used in recent:
            if code_matches(used, code):
                return _result("used", used), used
    return CheckResult("none"), None


def _result(outcome: str, verification: ContactVerification, code: str = "") -> CheckResult:
    return CheckResult(
        outcome=outcome,
        agent_first_name=verification.agent_first_name,
        channel=verification.get_channel_display(),
        code=code,
        expires_at=verification.expires_at,
        used_at=verification.used_at,
    )


def _throttle(page: VerificationPage, *, kind: str, key: str, limit: int, now: datetime) -> None:
    with transaction.atomic():
        count = _count(page.client_id, kind, key, now)
        if count == limit + 1:  # audited once per window, not once per refused check
            record(
                action="contact.verification_throttled",
                client=page.client_id,
                object_type="verification_page",
                object_id=page.pk,
                payload={"page": page.slug, "by": kind},
            )
    if count > limit:
        source = "from here" if kind == "ip" else "for this contact"
        message = f"Too many checks {source}. Try again in {THROTTLE_WINDOW_SECONDS // 60} minutes"
        if page.support_phone:
            message += f", or call {page.display_name} on {page.support_phone}"
        raise TooManyChecks(message + ".")


def _count(client_id: int, kind: str, key: str, now: datetime) -> int:
    """Add one to the counter of this window and return it (safe across processes)."""
    window_start = datetime.fromtimestamp(
        int(now.timestamp()) // THROTTLE_WINDOW_SECONDS * THROTTLE_WINDOW_SECONDS, tz=UTC
    )
    counter = LookupCounter.objects.filter(
        client_id=client_id, kind=kind, key=key, window_start=window_start
    )
    if not counter.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                LookupCounter.objects.create(
                    client_id=client_id, kind=kind, key=key, window_start=window_start, count=1
                )
        except IntegrityError:  # another process opened the window first
            counter.update(count=F("count") + 1)
        else:
            LookupCounter.objects.filter(
                client_id=client_id, window_start__lt=now - COUNTERS_KEPT
            ).delete()
    return counter.values_list("count", flat=True).get()


def _address_key(ip_address: str | None) -> str:
    """A keyed hash of the source address; IPv6 by its /64, which one host can fill."""
    try:
        address = ipaddress.ip_address(ip_address or "")
    except ValueError:
        return "unknown"
    network = str(
        ipaddress.ip_network(f"{address}/64", strict=False) if address.version == 6 else address
    )
    return salted_hmac("tercero.contact.address", network, algorithm="sha256").hexdigest()


# --- pages ---------------------------------------------------------------------------------

PAGE_FIELDS = ("slug", "display_name", "accent_colour", "support_phone", "is_active")


def create_page(
    *,
    actor: "User | None",
    client_id: int,
    slug: str,
    display_name: str,
    accent_colour: str = "",
    support_phone: str = "",
    is_active: bool = True,
) -> VerificationPage:
    page = VerificationPage(
        client_id=client_id,
        slug=slug,
        display_name=display_name,
        accent_colour=accent_colour,
        support_phone=support_phone,
        is_active=is_active,
    )
    return _save_page(actor, page, "contact.page_created", sorted(PAGE_FIELDS))


def update_page(
    *, actor: "User | None", page: VerificationPage, changes: dict[str, Any]
) -> VerificationPage:
    unknown = set(changes) - set(PAGE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown page fields.", fields=dict.fromkeys(unknown, "unknown field"))
    for name, value in changes.items():
        setattr(page, name, value)
    return _save_page(actor, page, "contact.page_updated", sorted(changes))


def _save_page(
    actor: "User | None", page: VerificationPage, action: str, fields: list[str]
) -> VerificationPage:
    page.slug = (page.slug or "").strip().lower()
    try:
        page.full_clean(exclude=["client"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput(
            "The page is not valid.",
            fields={name: " ".join(messages) for name, messages in error.message_dict.items()},
        ) from error
    try:
        with transaction.atomic():
            page.save()
            record(
                action=action,
                actor=actor,
                client=page.client_id,
                object_type="verification_page",
                object_id=page.pk,
                payload={"fields": fields, "slug": page.slug},
            )
    except IntegrityError as error:
        raise Conflict("That address is taken.", fields={"slug": "already used"}) from error
    return page
