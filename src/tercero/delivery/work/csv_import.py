"""Work items in and out as CSV.

Import columns (header names, any order): `work_type` (or the queue's only type),
`title`, `priority` (1-4 or P1-P4), `language`, `personal_data` (yes/no), `external_ref`,
`channel`, `required_skills` ("billing:3; refunds:1"), and the payload either as one
`payload` column holding JSON or as `payload.<field>` columns. The report names every
bad row by its line number in the file.
"""

import csv
import io
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from tercero.delivery.work import services
from tercero.delivery.work.models import Queue, WorkItem
from tercero.platform.api.inputs import read_json
from tercero.platform.errors import DomainError, InvalidInput
from tercero.web.lists import csv_cell

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from tercero.platform.identity.models import User

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}
KNOWN = {
    "work_type",
    "title",
    "priority",
    "language",
    "personal_data",
    "external_ref",
    "channel",
    "required_skills",
    "payload",
}
EXPORT_COLUMNS = (
    "id",
    "external_ref",
    "work_type",
    "title",
    "status",
    "priority",
    "queue_id",
    "assignee_id",
    "language",
    "personal_data",
    "channel",
    "created_at",
    "due_at",
    "first_response_at",
    "resolved_at",
    "sla_met",
    "handle_seconds",
)


class ImportReport(TypedDict):
    """What an import did: rows read, ids created, each refused row's errors by its line
    number in the file (the header is line 1), and whether it was only a check."""

    rows: int
    created: list[int]
    errors: dict[int, dict[str, str]]
    dry_run: bool


class RowError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("bad row")
        self.fields = fields


def read_rows(upload: UploadedFile[bytes]) -> list[dict[str, str]]:
    if upload.size is not None and upload.size > MAX_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.",
            code="file_too_large",
        )
    text = _decode(upload)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise InvalidInput("The file is empty or has no header row.", code="no_header")
    headers = [h.strip() for h in reader.fieldnames]
    unknown = [h for h in headers if h not in KNOWN and not h.startswith("payload.")]
    if unknown:
        raise InvalidInput(
            "Unknown columns in the header row.",
            code="unknown_columns",
            fields={"columns": ", ".join(unknown)},
        )
    reader.fieldnames = headers
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(
                    f"More than {MAX_ROWS} rows; split the file.", code="too_many_rows"
                )
            if None in row:
                row = {**row, "_extra": row.pop(None)}
            rows.append(row)
    except csv.Error as error:
        raise InvalidInput(f"The CSV is malformed: {error}.", code="malformed_csv") from error
    return rows


def _decode(upload: UploadedFile[bytes]) -> str:
    raw: bytes = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InvalidInput("The file is too large; split it.", code="file_too_large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"The file is not UTF-8 text (byte {error.start}).", code="not_utf8"
        ) from error
    if "\x00" in text:
        raise InvalidInput("The file holds NUL bytes; it is not a CSV file.", code="not_csv")
    return text


def to_fields(row: dict[str, str], *, default_type: str | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if "_extra" in row:
        errors["row"] = "more values than columns"
    fields: dict[str, Any] = {}
    fields["work_type"] = (row.get("work_type") or "").strip() or default_type or ""
    for name in ("title", "language", "external_ref", "channel"):
        value = (row.get(name) or "").strip()
        if value:
            fields[name] = value.lower() if name in ("language", "channel") else value
    _priority(row, fields, errors)
    flag = (row.get("personal_data") or "").strip().lower()
    if flag in TRUE:
        fields["personal_data"] = True
    elif flag not in FALSE:
        errors["personal_data"] = "yes or no"
    skills = (row.get("required_skills") or "").strip()
    if skills:
        try:
            fields["required_skills"] = _skills(skills)
        except ValueError:
            errors["required_skills"] = "skill:level pairs separated by ';'"
    payload = _payload(row, errors)
    fields["payload"] = payload
    if errors:
        raise RowError(errors)
    return fields


def _priority(row: dict[str, str], fields: dict[str, Any], errors: dict[str, str]) -> None:
    priority = (row.get("priority") or "").strip().upper().removeprefix("P")
    if priority in {"1", "2", "3", "4"}:
        fields["priority"] = int(priority)
    elif priority:
        errors["priority"] = "1-4 or P1-P4"


def _skills(text: str) -> dict[str, int]:
    return {
        name.strip(): int(level)
        for name, level in (part.split(":") for part in text.split(";") if part.strip())
    }


def _payload(row: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if (row.get("payload") or "").strip():
        try:
            payload = read_json(row["payload"])
        except DomainError as error:  # not JSON, nested too deep, a NUL character
            errors["payload"] = next(iter(error.fields.values()))
        if not isinstance(payload, dict):
            errors["payload"] = "a JSON object"
            payload = {}
    for name, value in row.items():
        if name.startswith("payload.") and value not in (None, ""):
            payload[name.removeprefix("payload.")] = value
    return payload


def import_items(
    *,
    actor: "User | None",
    queue: Queue,
    upload: UploadedFile[bytes],
    all_or_nothing: bool = True,
    dry_run: bool = False,
) -> ImportReport:
    rows = read_rows(upload)
    if not rows:
        raise InvalidInput("The file has a header but no rows.", code="no_rows")
    default_type = queue.work_types[0] if len(queue.work_types) == 1 else None
    prepared: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, dict[str, str]] = {}
    for index, row in enumerate(rows):
        try:
            prepared.append((index, to_fields(row, default_type=default_type)))
        except RowError as error:
            errors[index] = {"message": "The row could not be read.", **error.fields}
    created, refused = services.create_items(
        actor=actor,
        queue=queue,
        rows=[fields for _, fields in prepared],
        all_or_nothing=all_or_nothing,
        dry_run=dry_run or (bool(errors) and all_or_nothing),
    )
    for position, problem in refused.items():
        errors[prepared[position][0]] = problem
    created_ids = [] if dry_run or (errors and all_or_nothing) else [item.pk for item in created]
    return {
        "rows": len(rows),
        "created": created_ids,
        # line numbers as a spreadsheet shows them: the header is line 1
        "errors": {index + 2: errors[index] for index in sorted(errors)},
        "dry_run": dry_run,
    }


def export(items: QuerySet[WorkItem], out: "SupportsWrite[str]") -> None:
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for item in items.iterator(chunk_size=2000):
        writer.writerow([csv_cell(getattr(item, column)) for column in EXPORT_COLUMNS])
