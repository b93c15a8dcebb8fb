"""Quality API: batch acceptance (ISO 2859-1 single sampling, normal inspection)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.governance.quality import lots
from tercero.governance.quality.models import Lot
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import PermissionDenied

EVALUATE, MANAGE = "quality:evaluate", "quality:manage"
ID = Field(ge=1, le=2**62)

router = Router(tags=["quality"])


def require_quality_staff(caller: Caller) -> None:
    """Analysts and team leads (who evaluate) and managers (who set up) alike."""
    if not caller.permissions & {EVALUATE, MANAGE}:
        raise PermissionDenied(f"This needs the '{EVALUATE}' or '{MANAGE}' permission.")


class LotIn(Schema):
    engagement_id: int = ID
    work_type: str = Field(min_length=1, max_length=40)
    aql: str = Field(min_length=1, max_length=8, description="as printed in Table 2-A: 1.0")
    level: str = Field(default="II", max_length=8)
    reference: str = Field(default="", max_length=120)
    item_ids: list[int] = Field(default_factory=list, max_length=lots.MAX_LOT)


class InspectionIn(Schema):
    source_item_id: int = ID
    defective: bool
    note: str = Field(default="", max_length=2000)


class ReinspectIn(Schema):
    version: int = Field(ge=1)


class LotFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    status: str = Field(default="", pattern=r"^(inspecting|accepted|held|reworked)?$")


class InspectionOut(Schema):
    source_item_id: int
    defective: bool
    note: str
    inspector_id: int
    inspected_at: datetime


class LotOut(Schema):
    id: int
    engagement_id: int
    work_type: str
    reference: str
    size: int
    aql: str
    level: str
    code: str
    sample_size: int
    accept_number: int
    reject_number: int
    status: str
    defects: int
    decided_at: datetime | None
    decision_note: str
    version: int
    created_at: datetime


class LotDetail(LotOut):
    item_ids: list[int]
    sampled_item_ids: list[int]
    inspections: list[InspectionOut]


def _detail(lot: Lot) -> dict[str, Any]:
    out = {name: getattr(lot, name) for name in LotOut.model_fields}
    found = lots.inspections_of(lot=lot)
    return {
        **out,
        "item_ids": lot.item_ids,
        "sampled_item_ids": lot.sampled_item_ids,
        "inspections": [found[i] for i in sorted(found)],
    }


@router.get("/quality/lots", response=list[LotOut])
@paginate_by_cursor
def list_lots(request: HttpRequest, filters: Query[LotFilters]):
    """The lots of the caller's clients, newest first."""
    caller = caller_of(request)
    require_quality_staff(caller)
    return lots.lots(client_ids=caller.client_ids, **filters.dict())


@router.post("/quality/lots", response={201: LotDetail})
def create_lot(request: HttpRequest, body: LotIn) -> Status[dict[str, Any]]:
    """A lot of the engagement's finished items of a back-office work type, named by the
    batch reference (items whose reference starts with it) or listed; the plan from
    ISO 2859-1 and the sample drawn, seeded by the lot's id."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(MANAGE)
    made = lots.create_lot(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, _detail(made))


@router.get("/quality/lots/{lot_id}", response=LotDetail)
def get_lot(request: HttpRequest, lot_id: int) -> dict[str, Any]:
    """The lot, its sample, the inspections so far and the decision in words."""
    caller = caller_of(request)
    found = lots.access_lot(client_ids=caller.client_ids, lot_id=lot_id)
    require_quality_staff(caller)
    return _detail(found)


@router.post("/quality/lots/{lot_id}/inspections", response={201: LotDetail})
def inspect_item(request: HttpRequest, lot_id: int, body: InspectionIn) -> Status[dict[str, Any]]:
    """One sampled item inspected; the lot is decided as soon as the result is certain
    (a held lot's defective items are reopened for rework, once)."""
    caller = caller_of(request)
    found = lots.access_lot(client_ids=caller.client_ids, lot_id=lot_id)
    require_quality_staff(caller)
    lot = lots.inspect_item(actor=caller.user, lot=found, **body.dict())
    return Status(201, _detail(lot))


@router.post("/quality/lots/{lot_id}/reinspection", response={201: LotDetail})
def reinspect(request: HttpRequest, lot_id: int, body: ReinspectIn) -> Status[dict[str, Any]]:
    """After the rework, a new lot of the held lot's items (the old one: reworked)."""
    caller = caller_of(request)
    found = lots.access_lot(client_ids=caller.client_ids, lot_id=lot_id)
    caller.require(MANAGE)
    again = lots.reinspect(actor=caller.user, lot=found, version=body.version)
    return Status(201, _detail(again))
