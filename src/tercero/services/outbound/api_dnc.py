"""Do-not-call and consent in the API: list and add entries (the client's or the
provider's), remove hand-added ones, import registry files, record and withdraw consent."""

from datetime import datetime

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.services.outbound import consent, dnc, selectors

router = Router(tags=["outbound"])
MANAGE = "outbound:manage"


class EntryOut(Schema):
    id: int
    client_id: int
    scope: str
    source: str
    added_at: datetime


class EntryIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    number: str = Field(max_length=40)
    scope: str = "client"
    region: str = Field(default="US", min_length=2, max_length=2)


class ImportOut(Schema):
    id: int
    client_id: int
    kind: str
    file_name: str
    rows: int
    rows_rejected: int
    imported_at: datetime


class ConsentIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    number: str = Field(max_length=40)
    source: str = Field(max_length=120)
    obtained_at: datetime
    scope: str = "calls"
    evidence: str = Field(default="", max_length=500)
    region: str = Field(default="US", min_length=2, max_length=2)


class ConsentOut(Schema):
    id: int
    client_id: int
    source: str
    scope: str
    obtained_at: datetime
    withdrawn_at: datetime | None
    evidence: str


def _client(caller, client_id: int) -> int:
    if client_id not in caller.client_ids:
        from tercero.platform.errors import NotFound

        raise NotFound("Client not found.")
    return client_id


@router.get("/outbound/dnc", response=list[EntryOut])
def entries(request, source: str = "", offset: int = Query(0, ge=0, le=10**7)):
    caller = caller_of(request)
    caller.require(MANAGE)
    found = selectors.dnc_entries(client_ids=caller.client_ids, source=source)
    return list(found[offset : offset + 500])


@router.post("/outbound/dnc", response={201: dict})
def add_entry(request, body: EntryIn):
    """Put a number on the client's list, or (scope "provider") on the list of every
    client the caller serves. Matching unfinished leads are held at once."""
    caller = caller_of(request)
    caller.require(MANAGE)
    client_id = _client(caller, body.client_id)
    others = [c for c in caller.client_ids if c != client_id]
    added = dnc.add_number(
        actor=caller.user,
        client_ids=[client_id, *others],
        number=body.number,
        scope=body.scope,
        region=body.region.upper(),
    )
    return Status(201, {"clients_added": added})


@router.delete("/outbound/dnc/{entry_id}", response={204: None})
def remove_entry(request, entry_id: int):
    caller = caller_of(request)
    entry = selectors.access_dnc_entry(client_ids=caller.client_ids, entry_id=entry_id)
    caller.require(MANAGE)
    dnc.remove_entry(actor=caller.user, entry=entry)
    return Status(204, None)


@router.get("/outbound/registry-imports", response=list[ImportOut])
def imports(request):
    caller = caller_of(request)
    caller.require(MANAGE)
    return list(selectors.registry_imports(client_ids=caller.client_ids)[:200])


@router.post("/outbound/registry-imports", response={201: ImportOut})
def import_registry(request, client_id: Form[int], kind: Form[str], file: File[UploadedFile]):
    """A registry file (US-NDNC, UK-TPS, UK-CTPS: one number per line) onto the
    client's list; matching unfinished leads are held at once."""
    caller = caller_of(request)
    caller.require(MANAGE)
    client = _client(caller, client_id)
    if file.size and file.size > 200 * 1024 * 1024:
        raise InvalidInput("The file is too large.", fields={"file": "at most 200 MB"})
    row = dnc.import_registry(
        actor=caller.user,
        client_id=client,
        kind=kind,
        file_name=file.name or "",
        text=dnc.read_upload(file),
    )
    return Status(201, row)


@router.get("/outbound/consents", response=list[ConsentOut])
def consents(request):
    caller = caller_of(request)
    caller.require(MANAGE)
    return list(selectors.consents(client_ids=caller.client_ids)[:500])


@router.post("/outbound/consents", response={201: ConsentOut})
def record_consent(request, body: ConsentIn):
    caller = caller_of(request)
    caller.require(MANAGE)
    row = consent.record_consent(
        actor=caller.user,
        client_id=_client(caller, body.client_id),
        number=body.number,
        source=body.source,
        obtained_at=body.obtained_at,
        scope=body.scope,
        evidence=body.evidence,
        region=body.region.upper(),
    )
    return Status(201, row)


@router.post("/outbound/consents/{consent_id}/withdraw", response=ConsentOut)
def withdraw_consent(request, consent_id: int):
    caller = caller_of(request)
    row = selectors.access_consent(client_ids=caller.client_ids, consent_id=consent_id)
    caller.require(MANAGE)
    return consent.withdraw(actor=caller.user, consent=row)
