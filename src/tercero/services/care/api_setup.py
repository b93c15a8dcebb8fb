"""The care desk's set-up in the API: mailboxes and macros (mounted on the care router).
For holders of `care:setup`; another client's mailbox, macro or engagement is 404."""

from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor
from tercero.services.care import api_setup_desk, selectors
from tercero.services.care.services import desk_setup
from tercero.services.care.services.automations import CARE_SETUP

router = Router(tags=["care"])
router.add_router("", api_setup_desk.router)


class MailboxIn(Schema):
    """A mailbox as the set-up page takes it: the sender name and address replies go out
    from (blank: the mailbox's own address) and the signature, plain and HTML (HTML is
    rebuilt from an allow-list, as on the page; blank is made from the plain one)."""

    engagement_id: int = Field(ge=1, le=2**62)
    address: str = Field(max_length=254)
    queue_id: int = Field(ge=1, le=2**62)
    work_type: Literal["care.ticket", "support.ticket"] = "care.ticket"
    is_active: bool = True
    acknowledgement: str = Field(default="", max_length=5000)
    sender_name: str = Field(default="", max_length=100)
    sender_address: str = Field(default="", max_length=254)
    signature_text: str = Field(default="", max_length=5000)
    signature_html: str = Field(default="", max_length=20000)
    imap_host: str = Field(default="", max_length=200)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_ssl: bool = True
    imap_user: str = Field(default="", max_length=200)
    imap_folder: str = Field(default="INBOX", max_length=100)
    imap_password: str = Field(default="", max_length=300)


class MailboxChange(Schema):
    address: str = Field(default=None, max_length=254)
    queue_id: int = Field(default=None, ge=1, le=2**62)
    work_type: Literal["care.ticket", "support.ticket"] = Field(default=None)
    is_active: bool = Field(default=None)
    acknowledgement: str = Field(default=None, max_length=5000)
    sender_name: str = Field(default=None, max_length=100)
    sender_address: str = Field(default=None, max_length=254)
    signature_text: str = Field(default=None, max_length=5000)
    signature_html: str = Field(default=None, max_length=20000)
    imap_host: str = Field(default=None, max_length=200)
    imap_port: int = Field(default=None, ge=1, le=65535)
    imap_ssl: bool = Field(default=None)
    imap_user: str = Field(default=None, max_length=200)
    imap_folder: str = Field(default=None, max_length=100)
    imap_password: str = Field(default=None, max_length=300)


class MailboxOut(Schema):
    id: int
    engagement_id: int
    address: str
    queue_id: int
    work_type: str
    is_active: bool
    acknowledgement: str
    sender_name: str
    sender_address: str
    signature_text: str
    signature_html: str
    imap_host: str
    imap_port: int
    imap_ssl: bool
    imap_user: str
    imap_folder: str
    has_imap_password: bool
    last_polled_at: str | None

    @staticmethod
    def resolve_has_imap_password(box) -> bool:
        return bool(box.imap_password)

    @staticmethod
    def resolve_last_polled_at(box) -> str | None:
        return box.last_polled_at.isoformat() if box.last_polled_at else None


class MacroIn(Schema):
    engagement_id: int = Field(ge=1, le=2**62)
    name: str = Field(max_length=100)
    reply: str = Field(default="", max_length=20000)
    add_tags: list[str] = Field(default_factory=list, max_length=30)
    set_priority: int | None = Field(default=None, ge=1, le=4)
    then: Literal["", "wait", "resolve"] = ""
    is_active: bool = True


class MacroChange(Schema):
    name: str = Field(default=None, max_length=100)
    reply: str = Field(default=None, max_length=20000)
    add_tags: list[str] = Field(default=None, max_length=30)
    set_priority: int | None = Field(default=None, ge=1, le=4)
    then: Literal["", "wait", "resolve"] = Field(default=None)
    is_active: bool = Field(default=None)


class MacroOut(Schema):
    id: int
    engagement_id: int
    name: str
    reply: str
    add_tags: list[str]
    set_priority: int | None
    then: str
    is_active: bool


class SetupFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


def _macro_out(macro) -> dict:
    return {
        name: getattr(macro, name) for name in ("id", "engagement_id", *desk_setup.MACRO_FIELDS)
    }


def _setter(request):
    caller = caller_of(request)
    caller.require(CARE_SETUP)
    return caller


@router.get("/care/mailboxes", response=list[MailboxOut])
@paginate_by_cursor
def list_mailboxes(request, filters: Query[SetupFilters]):
    """The mailboxes of the clients the caller sets up (never their IMAP passwords),
    a page at a time (`next` is the following page's cursor)."""
    caller = _setter(request)
    found = selectors.mailboxes(client_ids=caller.client_ids)
    if filters.engagement_id is not None:
        found = found.filter(engagement_id=filters.engagement_id)
    return found


@router.post("/care/mailboxes", response={201: MailboxOut})
def create_mailbox(request, body: MailboxIn):
    """A new address of an engagement; its mail becomes tickets in the queue given."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(CARE_SETUP)
    made = desk_setup.create_mailbox(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, made)


@router.get("/care/mailboxes/{mailbox_id}", response=MailboxOut)
def get_mailbox(request, mailbox_id: int):
    caller = caller_of(request)
    box = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    caller.require(CARE_SETUP)
    return box


@router.patch("/care/mailboxes/{mailbox_id}", response=MailboxOut)
def change_mailbox(request, mailbox_id: int, body: MailboxChange):
    """Change the fields given; an IMAP password given replaces the stored one."""
    caller = caller_of(request)
    box = selectors.access_mailbox(client_ids=caller.client_ids, mailbox_id=mailbox_id)
    caller.require(CARE_SETUP)
    changed = desk_setup.update_mailbox(
        actor=caller.user, mailbox=box, **body.dict(exclude_unset=True)
    )
    return changed


@router.get("/care/macros", response=list[MacroOut])
@paginate_by_cursor
def list_macros(request, filters: Query[SetupFilters]):
    """The macros of the clients the caller sets up, a page at a time."""
    caller = _setter(request)
    found = selectors.macros(client_ids=caller.client_ids)
    if filters.engagement_id is not None:
        found = found.filter(engagement_id=filters.engagement_id)
    return found


@router.post("/care/macros", response={201: MacroOut})
def create_macro(request, body: MacroIn):
    """A canned reply with field changes for an engagement's agents."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(CARE_SETUP)
    made = desk_setup.create_macro(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, _macro_out(made))


@router.get("/care/macros/{macro_id}", response=MacroOut)
def get_macro(request, macro_id: int):
    caller = caller_of(request)
    macro = selectors.access_macro(client_ids=caller.client_ids, macro_id=macro_id)
    caller.require(CARE_SETUP)
    return _macro_out(macro)


@router.patch("/care/macros/{macro_id}", response=MacroOut)
def change_macro(request, macro_id: int, body: MacroChange):
    caller = caller_of(request)
    macro = selectors.access_macro(client_ids=caller.client_ids, macro_id=macro_id)
    caller.require(CARE_SETUP)
    changed = desk_setup.update_macro(
        actor=caller.user, macro=macro, **body.dict(exclude_unset=True)
    )
    return _macro_out(changed)
