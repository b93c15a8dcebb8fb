"""Payroll API for pay groups: create, read and change them (paying account, calendar,
rules), their rule versions (list, restore) and their pay calendar. Mounted on the payroll
router (api.py). Another client's ids answer 404."""

from datetime import date, datetime

from ninja import Field, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput, NotFound
from tercero.services.payroll import groups, paydates, selectors

# Operation ids keep the names they had when these routes lived in api.py, so clients
# generated from the OpenAPI document do not change.
router = Router(tags=["payroll"])


class PeriodOut(Schema):
    start: date
    end: date
    pay_date: date


class PayGroupOut(Schema):
    id: int
    client_id: int
    engagement_id: int
    name: str
    frequency: str
    currency: str
    jurisdiction: str
    payer_iban: str
    payer_bic: str
    payer_routing: str
    bank_routing: str
    company_id: str
    period_anchor: date | None
    pay_rule: str
    pay_offset_days: int
    pay_day: int
    rules: list[dict]
    version: int
    next_period: PeriodOut | None


class PayGroupIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(max_length=100)
    frequency: str
    currency: str = Field(max_length=3)
    jurisdiction: str = Field(default="GB", max_length=2)
    payer_iban: str = Field(default="", max_length=40)
    payer_bic: str = Field(default="", max_length=11)
    payer_routing: str = Field(default="", max_length=9)
    bank_routing: str = Field(default="", max_length=9)
    company_id: str = Field(default="", max_length=10)
    period_anchor: date | None = None
    pay_rule: str = Field(default="offset", max_length=12)
    pay_offset_days: int = Field(default=0, ge=-31, le=31)
    pay_day: int = Field(default=28, ge=1, le=31)


class PayGroupPatch(Schema):
    version: int = Field(ge=1)
    changes: dict = Field(description="any of the fields of a new pay group, and `rules`")
    note: str = Field(default="", max_length=500, description="why the rules change")


class RuleVersionOut(Schema):
    number: int
    rules: list[dict]
    note: str
    created_at: datetime
    created_by: str | None
    runs: int


class RestoreIn(Schema):
    version: int = Field(ge=1, description="the pay group's version, as loaded")
    note: str = Field(min_length=1, max_length=400)


def _group_out(group) -> dict:
    period = groups.next_period(group)
    return {
        **{
            name: getattr(group, name) for name in PayGroupOut.model_fields if name != "next_period"
        },
        "next_period": period and vars(period),
    }


def _group(caller, pay_group_id: int):
    if not 0 < pay_group_id < 2**62:
        raise NotFound("Pay group not found.")
    return selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)


@router.get(
    "/payroll/pay-groups",
    response=list[PayGroupOut],
    operation_id="tercero_services_payroll_api_list_pay_groups",
)
def list_pay_groups(request):
    caller = caller_of(request)
    caller.require("payroll:read")
    return [_group_out(g) for g in selectors.pay_groups(client_ids=caller.client_ids)[:500]]


@router.post(
    "/payroll/pay-groups",
    response={201: PayGroupOut},
    operation_id="tercero_services_payroll_api_create_pay_group",
)
def create_pay_group(request, body: PayGroupIn):
    """A pay group in one of the caller's engagements, with the default rules of its
    jurisdiction; frequency, currency and jurisdiction are fixed once it has a run."""
    caller = caller_of(request)
    caller.require("payroll:write")
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    group = groups.create_pay_group(
        actor=caller.user,
        engagement=engagement,
        name=body.name,
        frequency=body.frequency,
        currency=body.currency,
        jurisdiction=body.jurisdiction,
        payer_iban=body.payer_iban,
        payer_bic=body.payer_bic,
        payer_routing=body.payer_routing,
        bank_routing=body.bank_routing,
        company_id=body.company_id,
        period_anchor=body.period_anchor,
        pay_rule=body.pay_rule,
        pay_offset_days=body.pay_offset_days,
        pay_day=body.pay_day,
    )
    return Status(201, _group_out(group))


@router.get(
    "/payroll/pay-groups/{pay_group_id}",
    response=PayGroupOut,
    operation_id="tercero_services_payroll_api_get_pay_group",
)
def get_pay_group(request, pay_group_id: int):
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:read")
    return _group_out(group)


@router.patch(
    "/payroll/pay-groups/{pay_group_id}",
    response=PayGroupOut,
    operation_id="tercero_services_payroll_api_change_pay_group",
)
def change_pay_group(request, pay_group_id: int, body: PayGroupPatch):
    """Change the paying account, the calendar, the name or the rules (validated; a run
    keeps the version it was calculated with). A stale `version` is 409."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:write")
    group = groups.update_pay_group(
        actor=caller.user,
        group=group,
        version=body.version,
        changes=body.changes,
        note=body.note,
    )
    return _group_out(group)


@router.get(
    "/payroll/pay-groups/{pay_group_id}/rule-versions",
    response=list[RuleVersionOut],
    operation_id="tercero_services_payroll_api_rule_versions",
)
def rule_versions(request, pay_group_id: int):
    """Every version of the pay group's rules, the newest first, with the number of
    runs calculated with each."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:read")
    return [
        {
            "number": v.number,
            "rules": v.rules,
            "note": v.note,
            "created_at": v.created_at,
            "created_by": v.created_by.email if v.created_by else None,
            "runs": runs_count,
        }
        for v, runs_count in reversed(selectors.rule_versions(group))
    ]


@router.post(
    "/payroll/pay-groups/{pay_group_id}/rule-versions/{number}/restore",
    response=PayGroupOut,
    operation_id="tercero_services_payroll_api_restore_rule_version",
)
def restore_rule_version(request, pay_group_id: int, number: int, body: RestoreIn):
    """Put an earlier version's rules in force again, as a new version."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:write")
    if not 0 < number < 2**31:
        raise NotFound("No such rule version.")
    group = groups.restore_rules(
        actor=caller.user, group=group, version=body.version, number=number, note=body.note
    )
    return _group_out(group)


@router.get(
    "/payroll/pay-groups/{pay_group_id}/calendar",
    response=list[PeriodOut],
    operation_id="tercero_services_payroll_api_pay_calendar",
)
def pay_calendar(request, pay_group_id: int, after: date | None = None, count: int = 12):
    """The pay calendar's periods from the one containing `after` (default: the next
    period to run)."""
    caller = caller_of(request)
    group = _group(caller, pay_group_id)
    caller.require("payroll:read")
    if not 1 <= count <= 60:
        raise InvalidInput("count is 1 to 60.", fields={"count": "1-60"})
    if group.period_anchor is None:
        return []
    start = after or (groups.next_period(group).start)
    return [vars(p) for p in paydates.periods(group, after=start, count=count)]
