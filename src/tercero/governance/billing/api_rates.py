"""Rate cards API: cards per engagement, effective-dated versions and their rate lines.
Amounts are integer minor units of the card's currency; bands are
`[{"up_to": 1000, "price_minor": 50}, ..., {"up_to": null, "price_minor": 30}]`."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.governance.billing import rates, selectors
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor

READ, MANAGE = "billing:read", "billing:manage"
ID = Field(ge=1, le=2**62)
UnitName = Literal["fte_month", "productive_hour", "transaction", "minute", "outcome"]

router = Router(tags=["billing"])


class CardIn(Schema):
    engagement_id: int = ID
    name: str = Field(min_length=1, max_length=120)
    currency: str = Field(min_length=3, max_length=3)


class CardChanges(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    is_active: bool | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)


class CardChange(Schema):
    version: int = Field(ge=1)
    changes: CardChanges


class Band(Schema):
    up_to: int | None = Field(default=None, ge=1, le=10**15)
    price_minor: int = Field(ge=0, le=10**15)


class LineIn(Schema):
    unit: UnitName
    work_type: str = Field(default="", max_length=40)
    outcome_kind: str = Field(default="", max_length=64)
    shore: Literal["", "onshore", "nearshore", "offshore"] = ""
    site_id: int | None = Field(default=None, ge=1, le=2**62)
    skill: str = Field(default="", max_length=40)
    banding: Literal["flat", "tiered", "volume"] = "flat"
    price_minor: int = Field(default=0, ge=0, le=10**15)
    bands: list[Band] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=200)


class LineChanges(Schema):
    unit: UnitName | None = None
    work_type: str | None = Field(default=None, max_length=40)
    outcome_kind: str | None = Field(default=None, max_length=64)
    shore: Literal["", "onshore", "nearshore", "offshore"] | None = None
    site_id: int | None = Field(default=None, ge=1, le=2**62)
    skill: str | None = Field(default=None, max_length=40)
    banding: Literal["flat", "tiered", "volume"] | None = None
    price_minor: int | None = Field(default=None, ge=0, le=10**15)
    bands: list[Band] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=200)


class LineChange(Schema):
    version: int = Field(ge=1)
    changes: LineChanges


class VersionIn(Schema):
    effective_from: date
    effective_to: date | None = None
    monthly_minimum_minor: int = Field(default=0, ge=0, le=10**15)
    note: str = Field(default="", max_length=300)
    copy_lines: bool = True


class VersionChanges(Schema):
    effective_from: date | None = None
    effective_to: date | None = None
    monthly_minimum_minor: int | None = Field(default=None, ge=0, le=10**15)
    note: str | None = Field(default=None, max_length=300)


class VersionChange(Schema):
    version: int = Field(ge=1)
    changes: VersionChanges


class LineOut(Schema):
    id: int
    unit: str
    work_type: str
    outcome_kind: str
    shore: str
    site_id: int | None
    skill: str
    banding: str
    price_minor: int
    bands: list[dict[str, Any]]
    description: str
    version: int


class VersionOut(Schema):
    id: int
    number: int
    effective_from: date
    effective_to: date | None
    monthly_minimum_minor: int
    note: str
    version: int
    is_invoiced: bool
    lines: list[LineOut]


class CardOut(Schema):
    id: int
    engagement_id: int
    name: str
    currency: str
    is_active: bool
    version: int
    created_at: datetime


class CardDetail(CardOut):
    versions: list[VersionOut]


class CardFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


def _version(found) -> dict[str, Any]:
    computed = {"lines", "is_invoiced"}
    out = {name: getattr(found, name) for name in VersionOut.model_fields if name not in computed}
    out["is_invoiced"] = rates.is_locked(found)
    out["lines"] = list(selectors.lines_of(rate_version=found))
    return out


def _detail(card) -> dict[str, Any]:
    out = {name: getattr(card, name) for name in CardOut.model_fields}
    return {**out, "versions": [_version(v) for v in selectors.versions_of(rate_card=card)]}


def _set(changes: Schema) -> dict[str, Any]:
    """Only the fields the caller sent (a null `site_id` or `effective_to` clears it)."""
    return changes.dict(exclude_unset=True)


@router.get("/billing/rate-cards", response=list[CardOut])
@paginate_by_cursor
def list_rate_cards(request, filters: Query[CardFilters]):
    """The rate cards of the caller's clients, a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.rate_cards(client_ids=caller.client_ids, engagement_id=filters.engagement_id)


@router.post("/billing/rate-cards", response={201: CardDetail})
def create_rate_card(request, body: CardIn):
    """A new rate card for an engagement; prices come in versions."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(MANAGE)
    card = rates.create_card(
        actor=caller.user, engagement=engagement, name=body.name, currency=body.currency
    )
    return Status(201, _detail(card))


@router.get("/billing/rate-cards/{rate_card_id}", response=CardDetail)
def get_rate_card(request, rate_card_id: int):
    """The card with every version and its lines, newest version first."""
    caller = caller_of(request)
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    caller.require(READ)
    return _detail(card)


@router.patch("/billing/rate-cards/{rate_card_id}", response=CardDetail)
def update_rate_card(request, rate_card_id: int, body: CardChange):
    """Rename, retire or reactivate a card (a stale `version` is 409)."""
    caller = caller_of(request)
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    caller.require(MANAGE)
    changed = rates.update_card(
        actor=caller.user, card=card, version=body.version, changes=_set(body.changes)
    )
    return _detail(changed)


@router.post("/billing/rate-cards/{rate_card_id}/versions", response={201: VersionOut})
def add_rate_card_version(request, rate_card_id: int, body: VersionIn):
    """A new version from a date (the latest version's lines copied); an overlap with
    another version is 422 naming `effective_from`."""
    caller = caller_of(request)
    card = selectors.access_rate_card(client_ids=caller.client_ids, rate_card_id=rate_card_id)
    caller.require(MANAGE)
    created = rates.add_version(actor=caller.user, card=card, **body.dict())
    return Status(201, _version(created))


@router.patch("/billing/rate-card-versions/{rate_version_id}", response=VersionOut)
def update_rate_card_version(request, rate_version_id: int, body: VersionChange):
    """Change a version's dates, minimum or note; 409 once an issued invoice names it."""
    caller = caller_of(request)
    found = selectors.access_version(client_ids=caller.client_ids, version_id=rate_version_id)
    caller.require(MANAGE)
    changed = rates.update_version(
        actor=caller.user, rate_version=found, version=body.version, changes=_set(body.changes)
    )
    return _version(changed)


@router.post("/billing/rate-card-versions/{rate_version_id}/lines", response={201: LineOut})
def add_rate_line(request, rate_version_id: int, body: LineIn):
    """A price on the version; a bad unit, work type, outcome kind or band is a 422
    naming the field (`bands[2].up_to`)."""
    caller = caller_of(request)
    found = selectors.access_version(client_ids=caller.client_ids, version_id=rate_version_id)
    caller.require(MANAGE)
    return Status(201, rates.add_line(actor=caller.user, rate_version=found, fields=body.dict()))


@router.patch("/billing/rate-lines/{rate_line_id}", response=LineOut)
def update_rate_line(request, rate_line_id: int, body: LineChange):
    caller = caller_of(request)
    line = selectors.access_line(client_ids=caller.client_ids, line_id=rate_line_id)
    caller.require(MANAGE)
    return rates.update_line(
        actor=caller.user, line=line, version=body.version, changes=_set(body.changes)
    )


@router.delete("/billing/rate-lines/{rate_line_id}", response={204: None})
def remove_rate_line(request, rate_line_id: int):
    caller = caller_of(request)
    line = selectors.access_line(client_ids=caller.client_ids, line_id=rate_line_id)
    caller.require(MANAGE)
    rates.remove_line(actor=caller.user, line=line)
    return Status(204, None)
