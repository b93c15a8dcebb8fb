"""Loading a lead list: all or nothing, every bad row named, duplicates merged.

Rows come from a CSV file (the page; a header row names the columns) or as JSON (the
API). Columns: `phone` (required), `name`, `postal_code`, `country`, and the campaign's
custom lead fields by key; any other column is refused. Numbers are put in E.164 (read in
the campaign pack's country when they have no "+"); name and number are sealed under the
client's key and the number gets its lookup hash.

Duplicates -- the same number twice in the file, or a number already in one of the
campaign's lists -- are merged by one rule: **the first one kept wins** (the lead already
in the campaign, else the earlier row); the others are counted as merged, not loaded.

If any row is bad nothing is written: the answer names each bad row (line, field,
reason). A good load makes the list ("loading"), writes its leads, scrubs them
("scrubbing", see scrub.py) and marks it "ready"; a list is dialled only when ready.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.services.outbound import compliance, events, numbers, scrub
from tercero.services.outbound.compliance import zones
from tercero.services.outbound.models import Campaign, Lead, LeadList

BASE_COLUMNS = ("phone", "name", "postal_code", "country")
MAX_ROWS = 2_000_000
MAX_ERRORS_SHOWN = 1000
BATCH = 2000


@dataclass
class Checked:
    leads: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    merged: int = 0
    total: int = 0


def rows_from_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a CSV file with a header row."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InvalidInput("The file is empty.", fields={"file": "no header row"})
    rows = []
    for row in reader:
        if None in row:
            rows.append((reader.line_num, {"__extra__": "more cells than the header"}))
        else:
            rows.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items()}))
    return rows


def check_rows(campaign: Campaign, rows: list[tuple[int, dict[str, Any]]]) -> Checked:
    """Every row checked and normalised; nothing written."""
    if len(rows) > MAX_ROWS:
        raise InvalidInput("The list is too large.", fields={"rows": f"at most {MAX_ROWS}"})
    region = compliance.load(campaign.pack).country
    definitions = {d["key"]: d for d in campaign.lead_fields}
    hash_of = numbers.hasher(campaign.client_id)
    existing = set(
        Lead.objects.filter(client_id=campaign.client_id, campaign=campaign).values_list(
            "phone_hash", flat=True
        )
    )
    seen: set[str] = set()
    out = Checked(total=len(rows))
    for line, row in rows:
        lead, errors = _check_row(line, row, region, definitions)
        if errors:
            out.errors.extend(errors)
            continue
        lead["phone_hash"] = phone_hash = hash_of(lead["phone"])
        if phone_hash in existing or phone_hash in seen:
            out.merged += 1  # the first kept: the lead already loaded, else the earlier row
            continue
        seen.add(phone_hash)
        out.leads.append(lead)
    return out


def _check_row(
    line: int, row: dict[str, Any], region: str, definitions: dict[str, dict]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The row in stored form (without its hash), and its problems."""
    if "__extra__" in row:
        return {}, [{"line": line, "field": "", "reason": row["__extra__"]}]
    errors = [
        {"line": line, "field": column, "reason": "not a field of this campaign"}
        for column in sorted(set(row) - set(BASE_COLUMNS) - set(definitions))
    ]
    try:
        phone = numbers.e164(str(row.get("phone") or ""), region)
    except numbers.BadNumber as error:
        errors.append({"line": line, "field": "phone", "reason": str(error)})
        phone = ""
    custom: dict[str, Any] = {}
    for key, definition in definitions.items():
        try:
            checked = _custom(definition, row.get(key))
        except ValueError as error:
            errors.append({"line": line, "field": key, "reason": str(error)})
            continue
        if checked is not None:
            custom[key] = checked
    name = str(row.get("name") or "")
    if len(name) > 200:
        errors.append({"line": line, "field": "name", "reason": "longer than 200 characters"})
    country = str(row.get("country") or "").upper()
    if country and len(country) != 2:
        errors.append({"line": line, "field": "country", "reason": "a two-letter code"})
    if errors:
        return {}, errors
    return {
        "phone": phone,
        "name": name,
        "postal_code": str(row.get("postal_code") or "")[:16],
        "country": country or zones.country_of(phone),
        "fields": custom,
    }, []


def _custom(definition: dict[str, Any], value: Any) -> Any:
    if value in (None, ""):
        if definition.get("required"):
            raise ValueError("required")
        return None
    kind = definition.get("kind", "text")
    text = str(value).strip()
    if kind == "number":
        try:
            return str(Decimal(text))
        except InvalidOperation:
            raise ValueError("not a number") from None
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("not a date (YYYY-MM-DD)") from None
    if kind == "choice" and text not in definition.get("choices", []):
        raise ValueError(f"not one of {', '.join(definition['choices'])}")
    if len(text) > 500:
        raise ValueError("longer than 500 characters")
    return text


def load(
    *,
    actor,
    campaign: Campaign,
    name: str,
    rows: list[tuple[int, dict[str, Any]]],
    source_file: str = "",
    priority: int = 0,
) -> LeadList:
    """A new list of `campaign` with `rows`, scrubbed and ready; InvalidInput naming every
    bad row (nothing written) when any is bad."""
    if campaign.status == Campaign.Status.CLOSED:
        raise InvalidInput("The campaign is closed.", fields={"campaign": "closed"})
    if not name.strip():
        raise InvalidInput("Name the list.", fields={"name": "required"})
    if not rows:
        raise InvalidInput("The list has no rows.", fields={"rows": "empty"})
    checked = check_rows(campaign, rows)
    if checked.errors:
        raise InvalidInput(
            f"{len(checked.errors)} problem(s) in the list; nothing was loaded.",
            code="bad_rows",
            fields={"rows": checked.errors[:MAX_ERRORS_SHOWN]},
        )
    with transaction.atomic():
        lead_list = LeadList.objects.create(
            client_id=campaign.client_id,
            campaign=campaign,
            name=name.strip()[:120],
            priority=priority,
            source_file=source_file[:255],
            rows_total=checked.total,
            status=LeadList.Status.LOADING,
        )
        held = _write(campaign, lead_list, checked.leads)
        lead_list.status = LeadList.Status.READY
        lead_list.rows_loaded = len(checked.leads)
        lead_list.rows_merged = checked.merged
        lead_list.rows_held = held
        lead_list.scrubbed_at = timezone.now()
        lead_list.save()
        data = {
            "campaign_id": campaign.pk,
            "lead_list_id": lead_list.pk,
            "rows_total": checked.total,
            "rows_loaded": len(checked.leads),
            "rows_merged": checked.merged,
            "rows_held": held,
        }
        work.publish(
            kind=events.LIST_LOADED,
            client_id=campaign.client_id,
            engagement_id=campaign.engagement_id,
            actor=actor,
            data=data,
        )
        record(
            action="outbound.lead_list.loaded",
            actor=actor,
            client=campaign.client_id,
            object_type="lead_list",
            object_id=lead_list.pk,
            payload=data,
        )
    return lead_list


def _write(campaign: Campaign, lead_list: LeadList, leads: list[dict[str, Any]]) -> int:
    """Seal, scrub and insert the leads; how many were held."""
    client_id = campaign.client_id
    now = timezone.now()
    hashes = [lead["phone_hash"] for lead in leads]
    dnc = scrub.dnc_sources(client_id, hashes)
    scopes = scrub.consent_scopes(client_id, hashes)
    keys = crypto.keys_for(client_id, data=True)
    held = 0
    for start in range(0, len(leads), BATCH):
        batch = []
        for lead in leads[start : start + BATCH]:
            row = Lead(
                client_id=client_id,
                campaign=campaign,
                lead_list=lead_list,
                phone=keys.seal(lead["phone"]),
                phone_hash=lead["phone_hash"],
                name=keys.seal(lead["name"], kind="name") if lead["name"] else "",
                postal_code=lead["postal_code"],
                country=lead["country"],
                fields=lead["fields"],
                created_at=now,
            )
            found = zones.zones_for(lead["phone"], lead["postal_code"] or None, lead["country"])
            row.time_zone = found[0] if len(found) == 1 else ""
            row.status, row.held_reason = scrub.verdict_at_load(
                campaign,
                lead["phone"],
                row,
                dnc.get(lead["phone_hash"], []),
                scopes.get(lead["phone_hash"], set()),
                now,
            )
            row.next_callable_at = now if row.status == Lead.Status.CALLABLE else None
            held += row.status == Lead.Status.HELD
            batch.append(row)
        Lead.objects.bulk_create(batch, batch_size=BATCH)
    return held
