"""Commercial terms API: SLA credit terms and the credits they gave (with a month's
assessment, measurement by measurement), obligations of both sides, the client's
in-house baseline and savings, the provider's margin (staff only), and the monthly
service review (JSON and PDF). Another client's object is 404."""

from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tercero.governance.billing import (
    commercial_selectors as selectors,
)
from tercero.governance.billing import (
    credits,
    obligations,
    savings,
    service_review,
)
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.tenancy.models import Client

router = Router(tags=["billing"])
MANAGE, READ = "billing:manage", "billing:read"


def month_of(text: str) -> date:
    """The month `YYYY-MM`; this month when empty."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 (a calendar month)
    except ValueError as error:
        raise InvalidInput("A month is YYYY-MM.", fields={"month": "invalid"}) from error


def _may_read(caller: Caller) -> None:
    if not {READ, MANAGE} & caller.permissions:
        caller.require(READ)


def _engagement(caller: Caller, engagement_id: int):
    found = selectors.access_engagement(client_ids=caller.client_ids, engagement_id=engagement_id)
    _may_read(caller)
    return found


# --- credit terms and credits ------------------------------------------------------------


class MeasureIO(Schema):
    measure: str = Field(max_length=120, description="first_response, resolution, "
                         "turnaround, or quality:<the figure's label>")  # fmt: skip
    allocation_percent: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=3)
    target_percent: Decimal | None = Field(default=None, ge=0, le=100, max_digits=7,
                                           decimal_places=3)  # fmt: skip


class TermsOut(Schema):
    engagement_id: int
    at_risk_percent: Decimal
    pool_percent: Decimal
    earn_back_months: int
    measures: list[MeasureIO]
    version: int


class TermsIn(Schema):
    version: int = Field(ge=0, description="the terms' version as loaded (0: none yet)")
    at_risk_percent: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=3)
    pool_percent: Decimal = Field(gt=0, le=1000, max_digits=7, decimal_places=3)
    earn_back_months: int = Field(default=0, ge=0, le=24)
    measures: list[MeasureIO] = Field(max_length=50)


def _terms_out(terms) -> dict:
    return {
        "engagement_id": terms.engagement_id,
        "at_risk_percent": terms.at_risk_percent,
        "pool_percent": terms.pool_percent,
        "earn_back_months": terms.earn_back_months,
        "measures": list(terms.measures.order_by("id")),
        "version": terms.version,
    }


@router.get("/billing/credit-terms/{engagement_id}", response=TermsOut)
def get_credit_terms(request, engagement_id: int):
    """The engagement's SLA credit terms (404 when it has none)."""
    terms = selectors.terms_of(engagement=_engagement(caller_of(request), engagement_id))
    if terms is None:
        raise NotFound("This engagement has no credit terms.")
    return _terms_out(terms)


@router.put("/billing/credit-terms/{engagement_id}", response=TermsOut)
def put_credit_terms(request, engagement_id: int, body: TermsIn):
    """Enter or replace the terms; the measures' allocations add up to the pool."""
    caller = caller_of(request)
    engagement = _engagement(caller, engagement_id)
    caller.require(MANAGE)
    terms = credits.set_terms(
        actor=caller.user,
        engagement=engagement,
        version=body.version,
        at_risk_percent=body.at_risk_percent,
        pool_percent=body.pool_percent,
        earn_back_months=body.earn_back_months,
        measures=[measure.model_dump() for measure in body.measures],
    )
    return _terms_out(terms)


class CreditOut(Schema):
    id: int
    client_id: int
    engagement_id: int
    period: date
    measure: str
    label: str
    result_percent: Decimal | None
    target_percent: Decimal
    measured: int
    excused: int
    fees_minor: int
    amount_minor: int
    currency: str
    description: str
    earned_back_period: date | None


@router.get("/billing/credits", response=list[CreditOut])
def list_credits(
    request, client_id: int | None = None, engagement_id: int | None = None, month: str = ""
):
    """Credits recorded with the month's invoices, newest month first."""
    caller = caller_of(request)
    _may_read(caller)
    filters = selectors.CreditFilters(
        client_id=client_id, engagement_id=engagement_id, month=month_of(month) if month else None
    )
    return list(selectors.credits(client_ids=caller.client_ids, filters=filters)[:500])


class MeasurementOut(Schema):
    measure: str
    label: str
    result_percent: Decimal | None
    target_percent: Decimal
    measured: int
    met: int
    excused: int
    excused_by: list[str]
    allocation_percent: Decimal
    is_missed: bool


class AssessmentOut(Schema):
    engagement_id: int
    period: date
    currency: str
    fees_minor: int
    at_risk_percent: Decimal
    pool_percent: Decimal
    at_risk_minor: int
    measurements: list[MeasurementOut]
    credits: list[str]
    credits_minor: int


@router.get("/billing/engagements/{engagement_id}/credit-assessment", response=AssessmentOut)
def credit_assessment(request, engagement_id: int, month: str = ""):
    """The month's measures against the terms as they stand now (fees from the month's
    uninvoiced usage), with the measurements a late client obligation excused."""
    engagement = _engagement(caller_of(request), engagement_id)
    found = credits.preview(engagement=engagement, period=month_of(month))
    return {
        **{name: getattr(found, name) for name in ("engagement_id", "period", "currency")},
        "fees_minor": found.fees_minor,
        "at_risk_percent": found.at_risk_percent,
        "pool_percent": found.pool_percent,
        "at_risk_minor": found.at_risk_minor,
        "measurements": [
            {
                "measure": m.measure,
                "label": m.label,
                "result_percent": m.result,
                "target_percent": m.target,
                "measured": m.measured,
                "met": m.met,
                "excused": m.excused,
                "excused_by": list(m.excused_by),
                "allocation_percent": m.allocation,
                "is_missed": m.is_missed,
            }
            for m in found.measurements
        ],
        "credits": [credit.description for credit in found.credits],
        "credits_minor": found.total_minor,
    }


# --- obligations -------------------------------------------------------------------------


class ObligationIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)
    title: str = Field(min_length=1, max_length=200)
    side: str = Field(pattern="^(client|provider)$")
    due_date: date | None = None
    monthly_day: int | None = Field(default=None, ge=1, le=28)
    due_time: time = time(17)
    measures: list[str] = Field(default_factory=list, max_length=3)
    work_type: str = Field(default="", max_length=40)
    excuse_days: int = Field(default=0, ge=0, le=60)


class ObligationOut(Schema):
    id: int
    client_id: int
    engagement_id: int
    title: str
    side: str
    due_date: date | None
    monthly_day: int | None
    due_time: time
    measures: list[str]
    work_type: str
    excuse_days: int
    is_active: bool
    version: int


class OccurrenceOut(Schema):
    id: int
    obligation_id: int
    title: str
    side: str
    engagement_id: int
    due_at: datetime
    status: str
    met_at: datetime | None
    met_by: str
    was_late: bool
    note: str
    version: int


class MetIn(Schema):
    version: int = Field(ge=1)
    met_at: datetime | None = None
    note: str = Field(default="", max_length=300)


class VersionIn(Schema):
    version: int = Field(ge=1)


def occurrence_out(occurrence) -> dict:
    return {
        "id": occurrence.pk,
        "obligation_id": occurrence.obligation_id,
        "title": occurrence.obligation.title,
        "side": occurrence.obligation.side,
        "engagement_id": occurrence.obligation.engagement_id,
        "due_at": occurrence.due_at,
        "status": occurrence.status,
        "met_at": occurrence.met_at,
        "met_by": occurrence.met_by.email if occurrence.met_by else "",
        "was_late": occurrence.was_late,
        "note": occurrence.note,
        "version": occurrence.version,
    }


@router.get("/billing/obligations", response=list[ObligationOut])
def list_obligations(request, engagement_id: int | None = None, side: str = ""):
    caller = caller_of(request)
    _may_read(caller)
    return list(
        selectors.obligations(client_ids=caller.client_ids, engagement_id=engagement_id, side=side)
    )


@router.post("/billing/obligations", response={201: ObligationOut})
def create_obligation(request, body: ObligationIn):
    """A new obligation of one side; its due moments are scheduled at once."""
    caller = caller_of(request)
    engagement = _engagement(caller, body.engagement_id)
    caller.require(MANAGE)
    fields = body.model_dump(exclude={"engagement_id"})
    return Status(
        201, obligations.create_obligation(actor=caller.user, engagement=engagement, fields=fields)
    )


@router.post("/billing/obligations/{obligation_id}/retire", response=ObligationOut)
def retire_obligation(request, obligation_id: int, body: VersionIn):
    caller = caller_of(request)
    found = selectors.access_obligation(client_ids=caller.client_ids, obligation_id=obligation_id)
    caller.require(MANAGE)
    return obligations.retire_obligation(actor=caller.user, obligation=found, version=body.version)


@router.get("/billing/obligation-occurrences", response=list[OccurrenceOut])
def list_occurrences(
    request, engagement_id: int | None = None, side: str = "", status: str = "", month: str = ""
):
    caller = caller_of(request)
    _may_read(caller)
    filters = selectors.OccurrenceFilters(
        engagement_id=engagement_id,
        side=side,
        status=status,
        month=month_of(month) if month else None,
    )
    found = selectors.occurrences(client_ids=caller.client_ids, filters=filters)
    return [occurrence_out(occurrence) for occurrence in found[:500]]


@router.post("/billing/obligation-occurrences/{occurrence_id}/met", response=OccurrenceOut)
def mark_met(request, occurrence_id: int, body: MetIn):
    """Record that the obligation was met (now, or when given), and by whom."""
    caller = caller_of(request)
    found = selectors.access_occurrence(client_ids=caller.client_ids, occurrence_id=occurrence_id)
    obligations.may_mark_met(caller, found)
    done = obligations.mark_met(
        actor=caller.user, occurrence=found, version=body.version, met_at=body.met_at,
        note=body.note,
    )  # fmt: skip
    return occurrence_out(done)


# --- savings and margin --------------------------------------------------------------------


class BaselineIn(Schema):
    version: int | None = Field(
        default=None, ge=1, description="as loaded; leave out for a new one"
    )
    unit: str = Field(max_length=20)
    cost_minor: int = Field(ge=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    note: str = Field(default="", max_length=300)


class BaselineOut(Schema):
    engagement_id: int
    unit: str
    cost_minor: int
    currency: str
    note: str
    version: int


@router.put("/billing/baselines/{engagement_id}", response=BaselineOut)
def put_baseline(request, engagement_id: int, body: BaselineIn):
    """The client's in-house cost per unit (or per FTE month) for the engagement."""
    caller = caller_of(request)
    engagement = _engagement(caller, engagement_id)
    caller.require(MANAGE)
    return savings.set_baseline(
        actor=caller.user, engagement=engagement, unit=body.unit, cost_minor=body.cost_minor,
        currency=body.currency, note=body.note, version=body.version,
    )  # fmt: skip


class SavingOut(Schema):
    engagement_id: int
    engagement: str
    period: date
    currency: str
    unit: str
    baseline_minor: int
    units: Decimal
    in_house_minor: int
    provider_minor: int
    saving_minor: int
    saving_percent: Decimal | None
    is_provisional: bool


@router.get("/billing/savings", response=list[SavingOut])
def list_savings(request, month: str = "", client_id: int | None = None):
    """Each engagement's saving for the month against the client's in-house baseline."""
    caller = caller_of(request)
    _may_read(caller)
    period = month_of(month)
    found = (
        savings.saving(engagement=engagement, period=period)
        for engagement in selectors.engagements_of(
            client_ids=caller.client_ids, client_id=client_id
        )
    )
    return [saving for saving in found if saving is not None]


class SiteCostOut(Schema):
    site: str
    hours: Decimal
    hourly_cost_minor: int
    currency: str
    amount_minor: int


class MarginOut(Schema):
    engagement_id: int
    engagement: str
    period: date
    currency: str
    revenue_minor: int
    cost_minor: int
    margin_minor: int
    margin_percent: Decimal | None
    billed_hours: Decimal
    paid_hours: Decimal
    bill_to_pay: Decimal | None
    is_provisional: bool
    sites: list[SiteCostOut]
    uncounted: list[SiteCostOut]


def require_provider(caller: Caller) -> None:
    """Margins are the provider's: a client's people never reach them (404, as if absent)."""
    if not caller.user.is_provider_staff:
        raise NotFound("Not found.")
    _may_read(caller)


@router.get("/billing/margins", response=list[MarginOut])
def list_margins(request, month: str = "", client_id: int | None = None):
    """The provider's margin and bill-to-pay per engagement (provider staff only)."""
    caller = caller_of(request)
    require_provider(caller)
    engagements = selectors.engagements_of(client_ids=caller.client_ids, client_id=client_id)
    return [
        {
            **vars(found),
            "margin_minor": found.margin_minor,
            "margin_percent": found.margin_percent,
            "bill_to_pay": found.bill_to_pay,
        }
        for found in savings.margins(period=month_of(month), engagements=engagements)
    ]


# --- the service review --------------------------------------------------------------------


def _client(caller: Caller, client_id: int) -> Client:
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    _may_read(caller)
    return Client.objects.get(pk=client_id)


@router.get("/billing/clients/{client_id}/service-review")
def get_service_review(request, client_id: int, month: str = ""):
    """The month's service review: volumes, SLA, quality, obligations, cost, credits and
    savings per engagement, each beside last month's."""
    found = service_review.review(
        client=_client(caller_of(request), client_id), period=month_of(month)
    )
    return service_review.as_data(found)


@router.get("/billing/clients/{client_id}/service-review/pdf")
def get_service_review_pdf(request, client_id: int, month: str = ""):
    caller = caller_of(request)
    found = service_review.review(client=_client(caller, client_id), period=month_of(month))
    pdf = service_review.review_pdf(found=found, actor=caller.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="service-review-{found.period:%Y-%m}.pdf"'
    )
    return response
