"""Rate cards: every change of an engagement's prices, each in one transaction with its
audit event. A version is in force from `effective_from` to `effective_to` (open when
empty); versions of a card never overlap. A version an issued invoice names is never
edited: a change of price is a new version (which closes the open one before it)."""

import re
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, ProtectedError, Q

from tercero.delivery.work import event_types, registry
from tercero.delivery.workforce import selectors as workforce
from tercero.governance.billing import pricing
from tercero.governance.billing.models import (
    Invoice,
    InvoiceLine,
    RateCard,
    RateCardVersion,
    RateLine,
    Shore,
    Unit,
)
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound
from tercero.platform.versioning import update_versioned

CURRENCY = re.compile(r"^[A-Z]{3}$")
SKILL = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
LINE_FIELDS = (
    "unit",
    "work_type",
    "outcome_kind",
    "shore",
    "site_id",
    "skill",
    "banding",
    "price_minor",
    "bands",
    "description",
)


def _audit(actor, action: str, obj, payload: dict[str, Any] | None = None) -> None:
    record(
        action=f"billing.{action}",
        actor=actor,
        client=obj.client_id,
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        payload=payload or {},
    )


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if not CURRENCY.match(code):
        raise InvalidInput(
            "The currency is a three-letter ISO 4217 code.", fields={"currency": "e.g. GBP"}
        )
    return code


def create_card(*, actor, engagement, name: str, currency: str) -> RateCard:
    """A new, active rate card for the engagement, with no versions yet."""
    if not (name or "").strip():
        raise InvalidInput("Give the rate card a name.", fields={"name": "required"})
    with transaction.atomic():
        card = RateCard.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            name=name.strip()[:120],
            currency=_currency(currency),
        )
        _audit(actor, "rate_card.created", card, {"engagement_id": engagement.pk})
    return card


def update_card(*, actor, card: RateCard, version: int, changes: dict[str, Any]) -> RateCard:
    """Rename, activate or retire a card; its currency is fixed once a version exists."""
    allowed = {"name", "is_active", "currency"}
    if set(changes) - allowed:
        raise InvalidInput(
            "Only name, is_active and currency change.",
            fields=dict.fromkeys(sorted(set(changes) - allowed), "cannot change"),
        )
    if "currency" in changes:
        changes["currency"] = _currency(changes["currency"])
        if changes["currency"] != card.currency and card.versions.exists():
            raise Conflict(
                "The currency of a card with versions cannot change; make a new card.",
                fields={"currency": "fixed"},
            )
    if "name" in changes and not str(changes["name"]).strip():
        raise InvalidInput("Give the rate card a name.", fields={"name": "required"})
    with transaction.atomic():
        update_versioned(RateCard, pk=card.pk, version=version, changes=changes, what="rate card")
        card.refresh_from_db()
        _audit(actor, "rate_card.updated", card, {"fields": sorted(changes)})
    return card


def is_locked(rate_version: RateCardVersion, *, from_day: date | None = None) -> bool:
    """Whether an issued invoice names the version (for a period from `from_day` on)."""
    found = InvoiceLine.objects.filter(
        rate_card_version=rate_version, invoice__status=Invoice.Status.ISSUED
    )
    if from_day is not None:
        found = found.filter(period__gte=from_day.replace(day=1))
    return found.exists()


def _refuse_if_locked(rate_version: RateCardVersion) -> None:
    if is_locked(rate_version):
        raise Conflict(
            "An issued invoice names this version, so it cannot change; add a new version.",
            code="version_invoiced",
        )


def _overlapping(card: RateCard, start: date, end: date | None, *, besides: int | None):
    found = card.versions.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        found = found.filter(effective_from__lte=end)
    return found.exclude(pk=besides) if besides else found


def _check_dates(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise InvalidInput(
            "A version ends on or after the day it starts.",
            fields={"effective_to": "before effective_from"},
        )


def _minimum(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(
            "The monthly minimum is a whole amount of at least 0.",
            fields={"monthly_minimum_minor": "at least 0"},
        )
    return value


def add_version(
    *,
    actor,
    card: RateCard,
    effective_from: date,
    effective_to: date | None = None,
    monthly_minimum_minor: int = 0,
    note: str = "",
    copy_lines: bool = True,
) -> RateCardVersion:
    """A new version from `effective_from`, with the latest version's lines copied (to be
    edited); an open version that began earlier is closed the day before, unless an
    issued invoice already covers those days. Any other overlap is refused."""
    _check_dates(effective_from, effective_to)
    with transaction.atomic():
        RateCard.objects.select_for_update().filter(pk=card.pk).first()
        latest = card.versions.order_by("-number").first()
        _close_open_version(actor, card, effective_from)
        clash = _overlapping(card, effective_from, effective_to, besides=None).first()
        if clash is not None:
            raise InvalidInput(
                f"Version {clash.number} is already in force on some of these days.",
                fields={"effective_from": "overlaps another version"},
            )
        number = (card.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        created = RateCardVersion.objects.create(
            client_id=card.client_id,
            rate_card=card,
            number=number,
            effective_from=effective_from,
            effective_to=effective_to,
            monthly_minimum_minor=_minimum(monthly_minimum_minor),
            note=(note or "")[:300],
            created_by=actor,
        )
        if copy_lines and latest is not None:
            for line in latest.lines.all():
                line.pk, line.rate_card_version, line.version = None, created, 1
                line.save()
        _audit(
            actor,
            "rate_card_version.created",
            created,
            {"number": number, "effective_from": effective_from.isoformat()},
        )
    return created


def _close_open_version(actor, card: RateCard, start: date) -> None:
    before = card.versions.filter(effective_to__isnull=True, effective_from__lt=start).first()
    if before is None:
        return
    if is_locked(before, from_day=start):
        raise Conflict(
            f"An issued invoice already uses version {before.number} from this date.",
            code="version_invoiced",
            fields={"effective_from": "already invoiced"},
        )
    before.effective_to = start - timedelta(days=1)
    before.version += 1
    before.save(update_fields=["effective_to", "version"])
    _audit(actor, "rate_card_version.closed", before, {"effective_to": str(before.effective_to)})


def update_version(
    *, actor, rate_version: RateCardVersion, version: int, changes: dict[str, Any]
) -> RateCardVersion:
    """Change a version's dates, minimum or note (refused once invoiced)."""
    allowed = {"effective_from", "effective_to", "monthly_minimum_minor", "note"}
    if set(changes) - allowed:
        raise InvalidInput(
            "Only the dates, the monthly minimum and the note change.",
            fields=dict.fromkeys(sorted(set(changes) - allowed), "cannot change"),
        )
    start = changes.get("effective_from", rate_version.effective_from)
    end = changes.get("effective_to", rate_version.effective_to)
    _check_dates(start, end)
    if "monthly_minimum_minor" in changes:
        _minimum(changes["monthly_minimum_minor"])
    with transaction.atomic():
        _refuse_if_locked(rate_version)
        if _overlapping(rate_version.rate_card, start, end, besides=rate_version.pk).exists():
            raise InvalidInput(
                "Another version is in force on some of these days.",
                fields={"effective_from": "overlaps another version"},
            )
        update_versioned(
            RateCardVersion, pk=rate_version.pk, version=version, changes=changes, what="version"
        )
        rate_version.refresh_from_db()
        _audit(actor, "rate_card_version.updated", rate_version, {"fields": sorted(changes)})
    return rate_version


def line_problems(fields: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a rate line's fields, by field (empty when sound)."""
    problems: dict[str, str] = {}
    unit = fields.get("unit")
    if unit not in Unit.values:
        problems["unit"] = f"one of {', '.join(Unit.values)}"
    work_type = fields.get("work_type") or ""
    if work_type and registry.find(work_type) is None:
        problems["work_type"] = "not a registered work type"
    kind = fields.get("outcome_kind") or ""
    if unit == Unit.OUTCOME and not kind:
        problems["outcome_kind"] = "an outcome line names the event kind it counts"
    elif kind and event_types.find(kind) is None:
        problems["outcome_kind"] = "not a registered event kind"
    if (fields.get("shore") or "") not in Shore.values:
        problems["shore"] = "onshore, nearshore, offshore or empty"
    skill = fields.get("skill") or ""
    if skill and not SKILL.match(skill):
        problems["skill"] = "a lower-case skill name"
    problems |= _price_problems(fields)
    return problems


def _price_problems(fields: dict[str, Any]) -> dict[str, str]:
    banding = fields.get("banding") or pricing.FLAT
    if banding not in pricing.BANDINGS:
        return {"banding": "flat, tiered or volume"}
    price = fields.get("price_minor", 0)
    if not isinstance(price, int) or isinstance(price, bool) or price < 0:
        return {"price_minor": "a whole amount of at least 0"}
    if banding == pricing.FLAT:
        return {"bands": "a flat price has no bands"} if fields.get("bands") else {}
    return pricing.band_problems(fields.get("bands"))


def _clean_line(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise InvalidInput(
            "Unknown rate line fields.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )
    problems = line_problems(fields)
    if problems:
        raise InvalidInput("The rate line is not valid.", fields=problems)
    cleaned = dict(fields)
    cleaned["banding"] = fields.get("banding") or pricing.FLAT
    cleaned["bands"] = fields.get("bands") or []
    if fields.get("site_id") is not None:
        try:
            workforce.access_site(site_id=int(fields["site_id"]))
        except NotFound:
            raise InvalidInput("No such site.", fields={"site_id": "unknown site"}) from None
    for name in ("work_type", "outcome_kind", "shore", "skill", "description"):
        cleaned[name] = (fields.get(name) or "").strip()
    cleaned["description"] = cleaned["description"][:200]
    return cleaned


def add_line(*, actor, rate_version: RateCardVersion, fields: dict[str, Any]) -> RateLine:
    cleaned = _clean_line(fields)
    with transaction.atomic():
        _refuse_if_locked(rate_version)
        line = RateLine.objects.create(
            client_id=rate_version.client_id, rate_card_version=rate_version, **cleaned
        )
        _audit(actor, "rate_line.created", line, {"unit": line.unit, "banding": line.banding})
    return line


def update_line(*, actor, line: RateLine, version: int, changes: dict[str, Any]) -> RateLine:
    current = {name: getattr(line, name) for name in LINE_FIELDS}
    cleaned = _clean_line(current | changes)
    with transaction.atomic():
        _refuse_if_locked(line.rate_card_version)
        update_versioned(RateLine, pk=line.pk, version=version, changes=cleaned, what="rate line")
        line.refresh_from_db()
        _audit(actor, "rate_line.updated", line, {"fields": sorted(changes)})
    return line


def remove_line(*, actor, line: RateLine) -> None:
    with transaction.atomic():
        _refuse_if_locked(line.rate_card_version)
        _audit(actor, "rate_line.removed", line, {"unit": line.unit})
        try:
            line.delete()
        except ProtectedError:
            raise Conflict(
                "A draft invoice uses this rate line; re-draft or delete the draft first.",
                code="line_in_use",
            ) from None
