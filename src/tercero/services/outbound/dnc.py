"""Do-not-call lists: the client's own, the provider's, and national registry files.

Every entry is a keyed hash of the number (never the number) under one client. A
provider-wide entry ("the provider will not call this number for anyone") is written
once for every client the person adding it serves, with `scope="provider"`; the tables
stay client-owned under row-level security and a client's scrub reads only its own rows.
A registry file (US National DNC, UK TPS or CTPS) is imported per client: one number per
line, any punctuation; numbers without "+" are read in the registry's country. Adding
entries scrubs the client's unfinished leads with those numbers again at once.
"""

import io
from collections.abc import Iterable

from django.db import transaction

from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.services.outbound import numbers, scrub
from tercero.services.outbound.models import DncEntry, RegistryImport

REGISTRY_COUNTRY = {"US-NDNC": "US", "UK-TPS": "GB", "UK-CTPS": "GB"}
MAX_REGISTRY_ROWS = 5_000_000


def add_number(
    *,
    actor,
    client_ids: list[int],
    number: str,
    source: str = "manual",
    scope: str = "client",
    region: str = "US",
) -> int:
    """Put `number` on the do-not-call list of `client_ids[0]` (scope "client") or of every
    client in `client_ids` (scope "provider"); how many clients' lists gained it."""
    if source not in ("manual", "disposition"):
        raise InvalidInput("Unknown source.", fields={"source": "manual or disposition"})
    if scope not in DncEntry.Scope.values:
        raise InvalidInput("Unknown scope.", fields={"scope": "client or provider"})
    try:
        plain = numbers.e164(number, region)
    except numbers.BadNumber as error:
        raise InvalidInput("That is not a phone number.", fields={"number": str(error)}) from None
    targets = client_ids if scope == DncEntry.Scope.PROVIDER else client_ids[:1]
    added = 0
    with transaction.atomic():
        for client_id in targets:
            phone_hash = numbers.phone_hash(client_id, plain)
            _, created = DncEntry.objects.get_or_create(
                client_id=client_id,
                phone_hash=phone_hash,
                source=source,
                defaults={"scope": scope, "added_by": actor},
            )
            added += created
            scrub.rescrub(client_id=client_id, hashes=[phone_hash])
            record(
                action="outbound.dnc.added",
                actor=actor,
                client=client_id,
                object_type="dnc_entry",
                object_id="",
                payload={"source": source, "scope": scope, "new": created},
            )
    return added


def remove_entry(*, actor, entry: DncEntry) -> None:
    """Take a hand-added entry off the list (registry and call-made entries stay)."""
    if entry.source != DncEntry.Source.MANUAL:
        raise InvalidInput(
            "Only entries added by hand can be removed.", fields={"source": entry.source}
        )
    with transaction.atomic():
        client_id, phone_hash = entry.client_id, entry.phone_hash
        record(
            action="outbound.dnc.removed",
            actor=actor,
            client=client_id,
            object_type="dnc_entry",
            object_id=entry.pk,
            payload={"source": entry.source, "scope": entry.scope},
        )
        entry.delete()
        scrub.rescrub(client_id=client_id, hashes=[phone_hash])


def registry_numbers(kind: str, lines: Iterable[str]) -> tuple[list[str], list[dict]]:
    """The E.164 numbers of a registry file's lines, and each bad line named."""
    region = REGISTRY_COUNTRY[kind]
    found, bad = [], []
    for line_no, line in enumerate(lines, start=1):
        text = line.strip().split(",")[0].strip().strip('"')
        if not text or (line_no == 1 and not any(c.isdigit() for c in text)):
            continue  # blank line or a header
        if kind == "US-NDNC" and text.isdigit() and len(text) == 10:
            text = "+1" + text
        try:
            found.append(numbers.e164(text, region))
        except numbers.BadNumber as error:
            bad.append({"line": line_no, "field": "number", "reason": str(error)})
    return found, bad


def import_registry(
    *, actor, client_id: int, kind: str, file_name: str, text: str
) -> RegistryImport:
    """A registry file's numbers onto the client's list (source "registry:<kind>"); bad
    lines are counted and the first hundred named in the audit event."""
    if kind not in REGISTRY_COUNTRY:
        raise InvalidInput("Unknown registry.", fields={"kind": ", ".join(REGISTRY_COUNTRY)})
    lines = io.StringIO(text).read().splitlines()
    if len(lines) > MAX_REGISTRY_ROWS:
        raise InvalidInput("The file is too large.", fields={"file": f"{MAX_REGISTRY_ROWS} lines"})
    found, bad = registry_numbers(kind, lines)
    if not found:
        raise InvalidInput(
            "No number could be read from the file.",
            fields={"file": bad[0]["reason"] if bad else "empty"},
        )
    hash_of = numbers.hasher(client_id)
    hashes = sorted({hash_of(number) for number in found})
    source = f"registry:{kind}"
    with transaction.atomic():
        DncEntry.objects.bulk_create(
            [
                DncEntry(
                    client_id=client_id, phone_hash=h, source=source, scope="client", added_by=actor
                )
                for h in hashes
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        row = RegistryImport.objects.create(
            client_id=client_id,
            kind=kind,
            file_name=file_name[:255],
            rows=len(hashes),
            rows_rejected=len(bad),
            imported_by=actor,
        )
        changed = scrub.rescrub(client_id=client_id, hashes=hashes)
        record(
            action="outbound.registry.imported",
            actor=actor,
            client=client_id,
            object_type="registry_import",
            object_id=row.pk,
            payload={
                "kind": kind,
                "rows": len(hashes),
                "rejected": bad[:100],
                "leads_changed": changed,
            },
        )
    return row


def read_upload(upload) -> str:
    raw = upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", fields={"file": "encoding"}) from None
