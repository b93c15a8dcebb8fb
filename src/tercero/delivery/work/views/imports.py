"""The CSV import page: a file of a few rows is imported in the request and reported at
once; a larger one becomes an import job whose page shows its progress as it runs."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tercero.delivery.work import csv_import, import_jobs, selectors, tasks
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import POLL_HEADERS, page, refused


@page("work:write", staff=True)
def import_csv(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Choose a queue and a file; small files import now, large ones start a job."""
    report: csv_import.ImportReport | None = None
    if request.method == "POST":
        try:
            outcome = _import(request, caller)
        except DomainError as error:
            refused(request, error)
        else:
            if not isinstance(outcome, dict):
                return redirect("work:import_job", job_id=outcome)
            report = outcome
    queues = selectors.queues(client_ids=caller.client_ids, is_active=True).select_related("client")
    return render(
        request,
        "work/import.html",
        {"queues": queues, "report": report, "threshold": import_jobs.job_threshold()},
    )


def _import(request: HttpRequest, caller: Caller) -> csv_import.ImportReport | int:
    """The report of an import done now, or the id of the job that will do it."""
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput("Choose a CSV file.", fields={"file": "required"})
    queue = selectors.access_queue(
        client_ids=caller.client_ids, queue_id=_int(request.POST.get("queue"))
    )
    all_or_nothing = request.POST.get("all_or_nothing") == "on"
    if import_jobs.is_large(upload):
        job = import_jobs.start(
            actor=caller.user, queue=queue, upload=upload, all_or_nothing=all_or_nothing
        )
        tasks.enqueue_import(job)
        return job.pk
    return csv_import.import_items(
        actor=caller.user, queue=queue, upload=upload, all_or_nothing=all_or_nothing
    )


@page("work:read", staff=True)
def import_job(request: HttpRequest, caller: Caller, job_id: int) -> HttpResponse:
    """An import job's progress; the progress box polls itself until the job ends."""
    job = import_jobs.access_job(client_ids=caller.client_ids, job_id=job_id)
    polled = request.headers.get("HX-Request") == "true"  # as django-htmx reads it
    template = "work/_import_progress.html" if polled else "work/import_job.html"
    return render(
        request,
        template,
        {"job": job, "progress": import_jobs.progress(job), "poll_headers": POLL_HEADERS},
    )


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0
