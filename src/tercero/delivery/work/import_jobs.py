"""Large CSV imports run as jobs: the file is kept, the task worker takes its rows in
chunks, and the page and the API show the progress (rows done, items created, errors so
far).

Each chunk is one transaction holding the job's row lock: the chunk's items (through the
engine's batch intake) and the job's progress are written together, so a worker killed
mid-chunk leaves neither and the next run goes on from `rows_done`. A row is known by its
number in the file, and rows up to `rows_done` are never taken again: each row is taken
in exactly once. With `all_or_nothing` the job first checks every row (nothing written)
and imports only when none was refused.
"""

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tercero.delivery.work import csv_import, services
from tercero.delivery.work.models import ImportJob, Queue
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

# Rows per transaction: large enough for the batch intake to pay off, small enough that
# a kill loses little and progress moves every second or so.
CHUNK = 5000
# Errors kept on the job by line number; `error_count` counts them all.
ERRORS_KEPT = 1000
# A job's file may be this large (an import in the request stops at csv_import.MAX_BYTES).
MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_JOB_ROWS = 2000
# A job whose chunks stopped committing this long ago is run again. Longer than any
# chunk takes; a second run of a job that is still moving stops at its first chunk.
STALLED_AFTER = timedelta(minutes=3)

Row = tuple[int, dict[str, str]]  # (index of the row after the header, its cells)


def job_threshold() -> int:
    """Imports of more rows than this run as a job (setting TERCERO_IMPORT_JOB_ROWS)."""
    return int(getattr(settings, "TERCERO_IMPORT_JOB_ROWS", DEFAULT_JOB_ROWS))


def count_rows(upload: UploadedFile[bytes]) -> int:
    """How many rows the CSV holds after its header (the file is read as a stream and
    rewound); refuses what is not UTF-8 text, holds NUL bytes or has no header."""
    upload.seek(0)
    _, rows = _reader(upload)
    count = sum(1 for _ in rows)
    upload.seek(0)
    return count


def is_large(upload: UploadedFile[bytes]) -> bool:
    """Whether importing `upload` is a job rather than the request's work: more lines
    after the header than the threshold (quoted line breaks count too), or more bytes
    than an import in the request takes."""
    if upload.size is not None and upload.size > csv_import.MAX_BYTES:
        return True
    breaks, last = 0, b"\n"
    for part in upload.chunks():
        breaks, last = breaks + part.count(b"\n"), part[-1:] or last
    upload.seek(0)
    lines = breaks + (0 if last == b"\n" else 1)
    return lines - 1 > job_threshold()


def start(
    *, actor: "User | None", queue: Queue, upload: UploadedFile[bytes], all_or_nothing: bool = False
) -> ImportJob:
    """Keep the file and create its job (the caller enqueues `tasks.run_import_job` once
    this commits). A file whose header is wrong, or that is empty, is refused now."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_BYTES // 1024**3} GB; split it.", code="file_too_large"
        )
    total = count_rows(upload)
    if total == 0:
        raise InvalidInput("The file has a header but no rows.", code="no_rows")
    with transaction.atomic():
        job = ImportJob(
            client_id=queue.client_id,
            queue=queue,
            created_by=actor,
            file_name=(upload.name or "")[-200:],
            all_or_nothing=all_or_nothing,
            rows_total=total,
            status=(ImportJob.Status.CHECKING if all_or_nothing else ImportJob.Status.QUEUED),
            created_at=timezone.now(),
        )
        job.file.save("import.csv", upload, save=False)
        job.save(force_insert=True)
        _audit(job, "work.import.started", actor, {"rows": total, "queue_id": queue.pk})
    return job


def stalled(*, now: datetime, quiet: timedelta = STALLED_AFTER) -> list[int]:
    """Unfinished jobs that no worker has moved for `quiet` (their worker was stopped or
    killed, or their task was lost): running them again goes on where they stopped."""
    with all_clients_scope():
        return list(
            ImportJob.objects.filter(
                status__in=(
                    ImportJob.Status.QUEUED,
                    ImportJob.Status.CHECKING,
                    ImportJob.Status.RUNNING,
                )
            )
            .filter(
                Q(progressed_at__lt=now - quiet)
                | Q(progressed_at__isnull=True, created_at__lt=now - quiet)
            )
            .order_by("id")
            .values_list("id", flat=True)
        )


def access_job(*, client_ids: list[int], job_id: int) -> ImportJob:
    """The import job, if it belongs to one of `client_ids`; NotFound otherwise."""
    job = (
        ImportJob.objects.filter(pk=job_id, client_id__in=client_ids)
        .select_related("queue")
        .first()
    )
    if job is None:
        raise NotFound("Import job not found.")
    return job


def run(*, job_id: int, chunk: int = CHUNK, chunks: int | None = None) -> ImportJob:
    """Run the job, or go on with it where a stopped worker left it; `chunks` stops after
    that many (tests). Returns the job as it stands."""
    with all_clients_scope():
        client_id = ImportJob.objects.values_list("client_id", flat=True).get(pk=job_id)
    with client_scope(clients=[client_id]):
        job = ImportJob.objects.get(pk=job_id)
        try:
            if job.status == ImportJob.Status.CHECKING:
                job = _check(job, chunk=chunk)
            if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
                job = _take_in(job, chunk=chunk, chunks=chunks)
        except InvalidInput as error:  # the file turned out unreadable past its start
            _fail(job.pk, error.message)
            return ImportJob.objects.get(pk=job.pk)
        return job


def _fail(job_id: int, reason: str) -> None:
    """Stop the job for good; rows taken in before the unreadable part stay."""
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED, failure=reason[:500], finished_at=timezone.now()
    )


# --- reading the file -----------------------------------------------------------------


def _reader(handle: Any) -> tuple[list[str], Iterator[dict[str, str]]]:
    text = io.TextIOWrapper(io.BufferedReader(_Binary(handle)), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    try:
        headers = [name.strip() for name in reader.fieldnames or []]
    except UnicodeDecodeError as error:
        raise InvalidInput("The file is not UTF-8 text.", code="not_utf8") from error
    if not headers:
        raise InvalidInput("The file is empty or has no header row.", code="no_header")
    unknown = [h for h in headers if h not in csv_import.KNOWN and not h.startswith("payload.")]
    if unknown:
        raise InvalidInput(
            "Unknown columns in the header row.",
            code="unknown_columns",
            fields={"columns": ", ".join(unknown)},
        )
    reader.fieldnames = headers
    return headers, _checked(reader)


def _checked(reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    try:
        for row in reader:
            if None in row:
                row = {**row, "_extra": row.pop(None)}
            yield row
    except UnicodeDecodeError as error:
        raise InvalidInput("The file is not UTF-8 text.", code="not_utf8") from error
    except csv.Error as error:
        raise InvalidInput(f"The CSV is malformed: {error}.", code="malformed_csv") from error


class _Binary(io.RawIOBase):
    """A file-like object's bytes as a raw stream, refusing NUL bytes (not a CSV)."""

    def __init__(self, handle: Any):
        self.handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        if b"\x00" in data:
            raise InvalidInput("The file holds NUL bytes; it is not a CSV file.", code="not_csv")
        buffer[: len(data)] = data
        return len(data)


def _rows(job: ImportJob, *, after: int) -> Iterator[Row]:
    """The job's rows from index `after` on."""
    with job.file.open("rb") as handle:
        _, rows = _reader(handle)
        yield from islice(enumerate(rows), after, None)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


# --- checking and taking in -----------------------------------------------------------


def _check(job: ImportJob, *, chunk: int) -> ImportJob:
    """All or nothing: check every row first (nothing written); refuse on any error."""
    for batch in _chunks(_rows(job, after=job.rows_checked), chunk):
        with transaction.atomic():
            locked = _locked(job.pk, at=batch[0][0], field="rows_checked")
            if locked is None:
                return ImportJob.objects.get(pk=job.pk)
            _, errors = _take(locked, batch, dry_run=True)
            _note(locked, batch, errors, field="rows_checked")
    job = ImportJob.objects.get(pk=job.pk)
    with transaction.atomic():
        if job.error_count:
            return _finish(job, ImportJob.Status.REFUSED)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    return ImportJob.objects.get(pk=job.pk)


def _take_in(job: ImportJob, *, chunk: int, chunks: int | None) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=job.started_at or timezone.now()
    )
    for taken, batch in enumerate(_chunks(_rows(job, after=job.rows_done), chunk)):
        if chunks is not None and taken >= chunks:
            return ImportJob.objects.get(pk=job.pk)
        with transaction.atomic():
            locked = _locked(job.pk, at=batch[0][0], field="rows_done")
            if locked is None:  # another worker is past this chunk: it goes on
                return ImportJob.objects.get(pk=job.pk)
            created, errors = _take(locked, batch, dry_run=False)
            _note(locked, batch, errors, field="rows_done", created=created)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        return job if job.is_finished else _finish(job, ImportJob.Status.DONE)


def _locked(job_id: int, *, at: int, field: str) -> ImportJob | None:
    """The job under its row lock, if its progress `field` is still at row `at`."""
    job = ImportJob.objects.select_for_update().select_related("queue").get(pk=job_id)
    return job if getattr(job, field) == at and not job.is_finished else None


def _take(job: ImportJob, batch: list[Row], *, dry_run: bool) -> tuple[int, dict[int, Any]]:
    """Take the chunk's readable rows in through the engine's batch intake; returns how
    many items it created and each refused row's errors by row index."""
    queue = job.queue
    default_type = queue.work_types[0] if len(queue.work_types) == 1 else None
    prepared: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, Any] = {}
    for index, row in batch:
        try:
            prepared.append((index, csv_import.to_fields(row, default_type=default_type)))
        except csv_import.RowError as error:
            errors[index] = {"message": "The row could not be read.", **error.fields}
    taken = services.take_in(
        actor=job.created_by,
        queue=queue,
        rows=[fields for _, fields in prepared],
        all_or_nothing=False,
        dry_run=dry_run,
    )
    for position, problem in taken.errors.items():
        errors[prepared[position][0]] = problem
    return len(taken.created), errors


def _note(
    job: ImportJob, batch: list[Row], errors: dict[int, Any], *, field: str, created: int = 0
) -> None:
    """Record the chunk's progress in its transaction: rows passed, items, errors."""
    kept = dict(job.errors)
    for index in sorted(errors):
        if len(kept) >= ERRORS_KEPT:
            break
        kept[str(index + 2)] = errors[index]  # line numbers: the header is line 1
    setattr(job, field, batch[-1][0] + 1)
    job.created_count += created
    job.error_count += len(errors)
    job.errors = kept
    job.progressed_at = timezone.now()
    job.save(update_fields=[field, "created_count", "error_count", "errors", "progressed_at"])


def _finish(job: ImportJob, status: str) -> ImportJob:
    job.status, job.finished_at = status, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    _audit(
        job,
        "work.import.finished" if status == ImportJob.Status.DONE else "work.import.refused",
        None,
        {"rows": job.rows_total, "created": job.created_count, "errors": job.error_count},
    )
    return job


def _audit(job: ImportJob, action: str, actor: "User | None", payload: dict[str, Any]) -> None:
    record(
        action=action,
        actor=actor,
        client=job.client_id,
        object_type="import_job",
        object_id=job.pk,
        payload=payload,
    )


def progress(job: ImportJob, *, now: datetime | None = None) -> dict[str, Any]:
    """What the page and the API show about a job."""
    now = now or timezone.now()
    running_since = job.started_at or job.created_at
    seconds = ((job.finished_at or now) - running_since).total_seconds()
    done = job.rows_checked if job.status == ImportJob.Status.CHECKING else job.rows_done
    return {
        "id": job.pk,
        "status": job.status,
        "queue_id": job.queue_id,
        "file_name": job.file_name,
        "all_or_nothing": job.all_or_nothing,
        "rows_total": job.rows_total,
        "rows_checked": job.rows_checked,
        "rows_done": job.rows_done,
        "created": job.created_count,
        "error_count": job.error_count,
        "errors": job.errors,
        "percent": round(100 * done / job.rows_total, 1) if job.rows_total else 100.0,
        "rows_per_second": round(done / seconds, 1) if seconds > 0 and done else 0.0,
        "failure": job.failure,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
