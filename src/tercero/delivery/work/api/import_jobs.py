"""Import jobs: a large CSV import's progress (rows done, items created, errors so far)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from tercero.delivery.work import import_jobs
from tercero.delivery.work.models import ImportJob
from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound

router = Router()


class ImportJobOut(Schema):
    id: int
    status: str
    queue_id: int
    file_name: str
    all_or_nothing: bool
    rows_total: int
    rows_checked: int
    rows_done: int
    created: int
    error_count: int
    # the first errors, by line number in the file (the header is line 1)
    errors: dict[str, dict[str, Any]]
    percent: float
    rows_per_second: float
    failure: str
    created_at: datetime
    finished_at: datetime | None
    url: str


def job_out(job: ImportJob) -> dict[str, Any]:
    return {**import_jobs.progress(job), "url": f"/api/v1/import-jobs/{job.pk}"}


@router.get("/import-jobs/{job_id}", response=ImportJobOut, tags=["work items"])
def get_import_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """A large CSV import's progress: poll until `status` is done, refused or failed."""
    caller = caller_of(request)
    if not 1 <= job_id <= 2**62:
        raise NotFound("Import job not found.")
    job = import_jobs.access_job(client_ids=caller.client_ids, job_id=job_id)
    caller.require("work:read")
    return job_out(job)
