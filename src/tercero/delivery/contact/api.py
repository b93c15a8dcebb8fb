"""Contact verification API: codes for outbound contacts, codes for callers, the list of
recent verifications and the public verification pages' settings."""

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.contact import selectors, services
from tercero.delivery.contact.models import ContactVerification, VerificationPage
from tercero.delivery.engagements.selectors import access_engagement
from tercero.delivery.work.selectors import access_item
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.api.errors import ErrorOut
from tercero.platform.api.inputs import patch_field
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.platform.errors import InvalidInput, PermissionDenied
from tercero.platform.tenancy.selectors import access_client

if TYPE_CHECKING:
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import WorkItem

router = Router(tags=["contacts"])

if TYPE_CHECKING:  # a Literal built from the model's choices is beyond a type checker
    ChannelName = str
    DirectionName = str
    StateName = str
else:
    ChannelName = Literal[tuple(ContactVerification.Channel.values)]
    DirectionName = Literal[tuple(ContactVerification.Direction.values)]
    StateName = Literal[selectors.STATES]


class Target(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    work_item_id: int | None = Field(default=None, ge=1, le=2**62)
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


class OutboundIn(Target):
    channel: ChannelName
    contact: str = Field(min_length=1, max_length=200, description="Phone number or e-mail")


class InboundIn(Target):
    email: str = Field(min_length=3, max_length=254, description="The address on record")


class ConfirmIn(Schema):
    code: str = Field(min_length=1, max_length=20)


class VerificationOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    direction: str
    channel: str
    agent_id: int = Field(ge=1, le=2**62)
    agent_name: str
    work_item_id: int | None
    engagement_id: int | None
    contact_shown: str
    state: str
    outcome: str
    wrong_attempts: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_agent_name(obj: ContactVerification) -> str:
        return obj.agent.full_name


class IssuedOut(VerificationOut):
    code: str = Field(description="Shown once: tell it to the customer. Never stored.")
    verify_url: str | None = Field(description="Where the customer checks the code")


class VerificationFilters(Schema):
    client_id: int | None = Field(default=None, ge=1, le=2**62)
    direction: DirectionName | None = None
    state: StateName | None = None
    channel: ChannelName | None = None
    agent_id: int | None = Field(default=None, ge=1, le=2**62)
    contact: str = Field(default="", max_length=254, description="Exact phone or e-mail")


def _target(caller: Caller, body: Target) -> tuple[int, "WorkItem | None", "Engagement | None"]:
    """(client id, work item, engagement), each within the caller's clients (404)."""
    item = (
        access_item(client_ids=caller.client_ids, item_id=body.work_item_id)
        if body.work_item_id
        else None
    )
    engagement = (
        access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
        if body.engagement_id
        else None
    )
    client_id = body.client_id or getattr(item or engagement, "client_id", None)
    if client_id is None:
        raise InvalidInput(
            "Name the client, a work item or an engagement.", fields={"client_id": "required"}
        )
    access_client(client_ids=caller.client_ids, client_id=client_id)
    return client_id, item, engagement


def _staff_writer(caller: Caller) -> None:
    caller.require("work:write")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Only the provider's staff issue verification codes.")


def verify_url(request: HttpRequest, client_id: int) -> str | None:
    page = selectors.page_of(client_id=client_id)
    if page is None:
        return None
    return request.build_absolute_uri(reverse("contact:verify", args=[page.slug]))


@router.post("/contacts/outbound", response={201: IssuedOut})
def issue_outbound(request: HttpRequest, body: OutboundIn) -> Status[ContactVerification]:
    """Before calling, texting or e-mailing a customer: a 6-digit code for that contact,
    valid 10 minutes. Tell it to the customer, who checks it on the client's page."""
    caller = caller_of(request)
    client_id, item, engagement = _target(caller, body)
    _staff_writer(caller)
    verification, code = services.issue_outbound(
        actor=caller.user,
        client_id=client_id,
        channel=body.channel,
        contact=body.contact,
        work_item=item,
        engagement=engagement,
        now=timezone.now(),
    )
    # shown this once, so carried on the row for the answer only (IssuedOut reads them)
    verification.code = code  # type: ignore[attr-defined]
    verification.verify_url = verify_url(request, client_id)  # type: ignore[attr-defined]
    return Status(201, verification)


@router.post("/contacts/outbound/{verification_id}/end", response=VerificationOut)
def end_contact(request: HttpRequest, verification_id: int) -> ContactVerification:
    """The call is over: the code stops working at once."""
    caller = caller_of(request)
    verification = selectors.access_verification(
        client_ids=caller.client_ids, verification_id=verification_id
    )
    _staff_writer(caller)
    return services.end_verification(
        actor=caller.user, verification=verification, now=timezone.now()
    )


@router.post("/contacts/inbound", response={201: VerificationOut, 503: ErrorOut})
def send_caller_code(request: HttpRequest, body: InboundIn) -> Status[ContactVerification]:
    """A customer calls in: e-mail a code to the address on record (with a work item,
    it must be on the item's record); the caller reads it back."""
    caller = caller_of(request)
    client_id, item, engagement = _target(caller, body)
    _staff_writer(caller)
    verification = services.send_caller_code(
        actor=caller.user,
        client_id=client_id,
        email=body.email,
        work_item=item,
        engagement=engagement,
        now=timezone.now(),
    )
    return Status(201, verification)


@router.post("/contacts/inbound/{verification_id}/confirm", response=VerificationOut)
def confirm_caller(
    request: HttpRequest, verification_id: int, body: ConfirmIn
) -> ContactVerification:
    """The code the caller read back. Five wrong codes, or expiry, end the check."""
    caller = caller_of(request)
    verification = selectors.access_verification(
        client_ids=caller.client_ids, verification_id=verification_id
    )
    _staff_writer(caller)
    return services.confirm_caller(
        actor=caller.user, verification=verification, code=body.code, now=timezone.now()
    )


@router.get("/contacts/verifications", response=list[VerificationOut])
@paginate_by_cursor
def list_verifications(
    request: HttpRequest, filters: Query[VerificationFilters]
) -> QuerySet[ContactVerification]:
    caller = caller_of(request)
    caller.require("work:read")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Verifications are the provider's records.")
    client_ids = caller.client_ids
    if filters.client_id is not None:
        client_ids = [filters.client_id] if filters.client_id in client_ids else []
    return selectors.verifications(
        client_ids=client_ids,
        now=timezone.now(),
        direction=filters.direction,
        state=filters.state,
        channel=filters.channel,
        agent_id=filters.agent_id,
        contact_hashes=(
            selectors.contact_hashes(client_ids=client_ids, contact=filters.contact)
            if filters.contact
            else None
        ),
    )


@router.get("/contacts/verifications/{verification_id}", response=VerificationOut)
def get_verification(request: HttpRequest, verification_id: int) -> ContactVerification:
    caller = caller_of(request)
    verification = selectors.access_verification(
        client_ids=caller.client_ids, verification_id=verification_id
    )
    caller.require("work:read")
    if not caller.user.is_provider_staff:
        raise PermissionDenied("Verifications are the provider's records.")
    return verification


# --- public verification pages --------------------------------------------------------

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$"
COLOUR = r"^(#[0-9a-fA-F]{6})?$"


class PageIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    slug: str = Field(pattern=SLUG, max_length=60)
    display_name: str = Field(min_length=1, max_length=100)
    accent_colour: str = Field(default="", pattern=COLOUR)
    support_phone: str = Field(default="", max_length=40)


class PagePatch(Schema):
    slug: str = patch_field(pattern=SLUG, max_length=60)
    display_name: str = patch_field(min_length=1, max_length=100)
    accent_colour: str = patch_field(pattern=COLOUR)
    support_phone: str = patch_field(max_length=40)
    is_active: bool = patch_field()


class PageOut(Schema):
    id: int
    client_id: int = Field(ge=1, le=2**62)
    slug: str
    display_name: str
    accent_colour: str
    support_phone: str
    is_active: bool
    url: str

    @staticmethod
    def resolve_url(obj: VerificationPage) -> str:
        return reverse("contact:verify", args=[obj.slug])


@router.get("/contacts/pages", response=list[PageOut])
@paginate_by_cursor
def list_pages(request: HttpRequest) -> QuerySet[VerificationPage]:
    caller = caller_of(request)
    caller.require("engagements:read")
    return selectors.pages(client_ids=caller.client_ids)


@router.post("/contacts/pages", response={201: PageOut})
def create_page(request: HttpRequest, body: PageIn) -> Status[VerificationPage]:
    """The client's public page at /verify/<slug>/ where its customers check a contact."""
    caller = caller_of(request)
    access_client(client_ids=caller.client_ids, client_id=body.client_id)
    caller.require("engagements:write")
    page = services.create_page(
        actor=caller.user,
        client_id=body.client_id,
        slug=body.slug,
        display_name=body.display_name,
        accent_colour=body.accent_colour,
        support_phone=body.support_phone,
    )
    return Status(201, page)


@router.patch("/contacts/pages/{page_id}", response=PageOut)
def update_page(request: HttpRequest, page_id: int, body: PagePatch) -> VerificationPage:
    caller = caller_of(request)
    page = selectors.access_page(client_ids=caller.client_ids, page_id=page_id)
    caller.require("engagements:write")
    return services.update_page(actor=caller.user, page=page, changes=body.dict(exclude_unset=True))
