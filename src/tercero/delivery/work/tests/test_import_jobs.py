"""A CSV import above the threshold is a job: a worker takes its rows in chunks, the page
and the API show rows done and errors so far, and a run stopped at any point goes on
where it stopped, taking each row in exactly once."""

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tercero.delivery.work import import_jobs, tasks
from tercero.delivery.work.models import ImportJob, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.ops import scheduler
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

HEADER = "work_type,priority,payload.subject,external_ref\n"


@pytest.fixture(autouse=True)
def small_threshold(settings):
    """Files of more than 5 rows are jobs here (2,000 by default)."""
    settings.TERCERO_IMPORT_JOB_ROWS = 5


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


def _csv(rows: int, *, bad: tuple[int, ...] = ()) -> str:
    """`rows` ticket rows R-1..R-n; the rows numbered in `bad` have priority P9."""
    lines = [
        f"test.ticket,{'P9' if n in bad else 'P2'},Parcel {n},R-{n}\n" for n in range(1, rows + 1)
    ]
    return HEADER + "".join(lines)


def _upload(client, queue, text: str, **fields):
    upload = io.BytesIO(text.encode())
    upload.name = "leads.csv"
    return client.post(
        "/api/v1/work-items/import", {"file": upload, "queue_id": queue.pk, **fields}
    )


def _refs(client_id: int) -> dict[str, int]:
    """How many items each external reference has."""
    with client_scope(clients=[client_id]):
        counted = WorkItem.objects.values("external_ref").annotate(n=Count("id"))
        return {row["external_ref"]: row["n"] for row in counted}


def _job(job_id: int) -> ImportJob:
    with all_clients_scope():
        return ImportJob.objects.get(pk=job_id)


def test_a_small_file_is_still_imported_in_the_request(client, tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)

    # when
    response = _upload(client, queue, _csv(5))

    # then
    assert response.status_code == 201
    assert len(response.json()["created"]) == 5
    with client_scope(clients=[tenant_a.client]):
        assert ImportJob.objects.count() == 0


def test_a_large_file_becomes_a_job_whose_progress_the_api_shows(
    client, tenant_a, django_capture_on_commit_callbacks
):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)

    # when: the file is accepted and its job queued for a worker
    with django_capture_on_commit_callbacks() as queued:
        accepted = _upload(client, queue, _csv(12, bad=(4, 9)), all_or_nothing="false")

    # then
    assert accepted.status_code == 202
    body = accepted.json()
    assert (body["status"], body["rows_total"], body["rows_done"]) == ("queued", 12, 0)
    assert body["url"] == f"/api/v1/import-jobs/{body['id']}"
    assert len(queued) == 1
    assert _refs(tenant_a.client.pk) == {}

    # when: the worker runs it, five rows at a time
    import_jobs.run(job_id=body["id"], chunk=5)
    status = client.get(body["url"])

    # then: ten items, the two bad rows named by their line in the file
    assert status.status_code == 200
    done = status.json()
    assert (done["status"], done["rows_done"], done["created"], done["error_count"]) == (
        "done",
        12,
        10,
        2,
    )
    assert set(done["errors"]) == {"5", "10"}
    assert done["errors"]["5"]["priority"] == "1-4 or P1-P4"
    assert done["percent"] == 100.0
    assert set(_refs(tenant_a.client.pk)) == {f"R-{n}" for n in range(1, 13) if n not in (4, 9)}
    with all_clients_scope():
        actions = list(
            AuditEvent.objects.filter(object_type="import_job").values_list("action", flat=True)
        )
    assert actions == ["work.import.started", "work.import.finished"]


def test_progress_shows_rows_done_and_errors_so_far_between_chunks(tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(10, bad=(2,)))

    # when: the worker stopped after one chunk of four
    import_jobs.run(job_id=job.pk, chunk=4, chunks=1)

    # then
    with client_scope(clients=[tenant_a.client]):
        progress = import_jobs.progress(ImportJob.objects.get(pk=job.pk))
    assert (progress["status"], progress["rows_done"], progress["created"]) == ("running", 4, 3)
    assert (progress["error_count"], progress["percent"]) == (1, 40.0)


def test_a_job_run_again_goes_on_where_it_stopped_and_takes_no_row_twice(tenant_a):
    # given: a job stopped after two chunks of three
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(20))
    import_jobs.run(job_id=job.pk, chunk=3, chunks=2)
    assert _job(job.pk).rows_done == 6

    # when: a worker runs it again, then once more after it finished
    import_jobs.run(job_id=job.pk, chunk=3)
    import_jobs.run(job_id=job.pk, chunk=3)

    # then
    assert _refs(tenant_a.client.pk) == {f"R-{n}": 1 for n in range(1, 21)}
    finished = _job(job.pk)
    assert (finished.status, finished.rows_done, finished.created_count) == ("done", 20, 20)


def test_a_job_that_stopped_moving_is_run_again_by_the_periodic_job(tenant_a):
    # given: one job stopped after a chunk four minutes ago, one moving now, one done
    queue = make_queue(live_engagement(tenant_a.client))
    with time_machine.travel(timezone.now() - timedelta(minutes=4), tick=False):
        stopped = _start(tenant_a, queue, _csv(9))
        import_jobs.run(job_id=stopped.pk, chunk=3, chunks=1)
    moving = _start(tenant_a, queue, _csv(9).replace("R-", "M-"))
    import_jobs.run(job_id=moving.pk, chunk=3, chunks=1)
    done = _start(tenant_a, queue, _csv(6).replace("R-", "D-"))
    import_jobs.run(job_id=done.pk)

    # when
    resumed = tasks.resume_import_jobs.call()

    # then: only the stalled job is queued to run again, and that run finishes it
    assert resumed == [stopped.pk]
    queued = DBTaskResult.objects.filter(task_path__endswith=".run_import_job")
    assert [row.args_kwargs["args"] for row in queued] == [[stopped.pk]]
    import_jobs.run(job_id=stopped.pk, chunk=3)
    assert (_job(stopped.pk).status, _job(moving.pk).status) == ("done", "running")
    assert sum(1 for ref in _refs(tenant_a.client.pk) if ref.startswith("R-")) == 9
    assert "resume_imports" in {job.name for job in scheduler.jobs()}


def test_all_or_nothing_checks_every_row_first_and_imports_nothing_on_one_bad_row(tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(9, bad=(8,)), all_or_nothing=True)

    # when
    import_jobs.run(job_id=job.pk, chunk=4)

    # then
    refused = _job(job.pk)
    assert (refused.status, refused.rows_checked, refused.rows_done) == ("refused", 9, 0)
    assert list(refused.errors) == ["9"]
    assert _refs(tenant_a.client.pk) == {}


def test_all_or_nothing_imports_everything_when_every_row_is_good(tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(9), all_or_nothing=True)

    # when
    import_jobs.run(job_id=job.pk, chunk=4)

    # then
    done = _job(job.pk)
    assert (done.status, done.rows_checked, done.rows_done, done.created_count) == (
        "done",
        9,
        9,
        9,
    )
    assert len(_refs(tenant_a.client.pk)) == 9


def test_a_stored_file_that_became_unreadable_stops_the_job_with_the_reason(tenant_a):
    # given: the job's stored file was damaged after the job was started
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(6))
    with open(job.file.path, "wb") as damaged:
        damaged.write(HEADER.encode() + b"test.ticket,P2,Parcel\x00,R-1\n")

    # when
    import_jobs.run(job_id=job.pk, chunk=3)

    # then
    failed = _job(job.pk)
    assert (failed.status, failed.rows_done, failed.created_count) == ("failed", 0, 0)
    assert failed.failure == "The file holds NUL bytes; it is not a CSV file."
    assert failed.finished_at is not None
    assert _refs(tenant_a.client.pk) == {}


def test_a_file_with_a_wrong_header_is_refused_before_any_job(client, tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)

    # when
    response = _upload(client, queue, "colour,size\n" + "red,9\n" * 10)

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_columns"
    with client_scope(clients=[tenant_a.client]):
        assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (HEADER.encode() + "test.ticket,P2,Café,R-1\n".encode("latin-1") * 8, "not_utf8"),
        (HEADER.encode() + b"test.ticket,P2,\x00,R-1\n" * 8, "not_csv"),
        (HEADER.encode() + b"\n" * 8, "no_rows"),
        (b"\n" * 8, "no_header"),
    ],
)
def test_a_large_file_that_cannot_be_read_is_refused_before_any_job(
    client, tenant_a, content, code
):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.client_user)
    upload = io.BytesIO(content)
    upload.name = "broken.csv"

    # when
    response = client.post("/api/v1/work-items/import", {"file": upload, "queue_id": queue.pk})

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    with client_scope(clients=[tenant_a.client]):
        assert ImportJob.objects.count() == 0


def test_another_clients_import_job_is_404_on_the_api_and_the_page(client, tenant_a, tenant_b):
    # given: a job of client B
    queue = make_queue(live_engagement(tenant_b.client))
    job = _start(tenant_b, queue, _csv(7))

    # when / then
    for outsider in (tenant_a.client_user, tenant_a.team_lead):
        client.force_login(outsider)
        assert client.get(f"/api/v1/import-jobs/{job.pk}").status_code == 404
        assert client.get(f"/work/import/{job.pk}/").status_code == 404


def test_the_import_page_imports_a_small_file_at_once(client, tenant_a):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.team_lead)
    upload = io.BytesIO(_csv(3, bad=(2,)).encode())
    upload.name = "three.csv"

    # when
    page = client.post("/work/import/", {"queue": queue.pk, "file": upload})

    # then: partial import (the box was left unticked), the bad row named by its line
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 of 3 rows imported" in text
    assert '<td data-label="Line">3</td>' in text
    assert len(_refs(tenant_a.client.pk)) == 2


def test_the_import_page_starts_a_job_for_a_large_file_and_shows_its_progress(
    client, tenant_a, django_capture_on_commit_callbacks
):
    # given
    queue = make_queue(live_engagement(tenant_a.client))
    client.force_login(tenant_a.team_lead)
    upload = io.BytesIO(_csv(8, bad=(3,)).encode())
    upload.name = "eight.csv"

    # when
    with django_capture_on_commit_callbacks() as queued:
        started = client.post("/work/import/", {"queue": queue.pk, "file": upload})

    # then
    with client_scope(clients=[tenant_a.client]):
        job = ImportJob.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/work/import/{job.pk}/"
    assert len(queued) == 1
    waiting = client.get(started["Location"]).content.decode()
    assert '<dd id="rows-done">0 of 8 done</dd>' in waiting
    assert 'hx-trigger="every 2s"' in waiting

    # when: a worker takes one chunk, and the box polls
    import_jobs.run(job_id=job.pk, chunk=5, chunks=1)
    box = client.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()

    # then
    assert box.startswith('<section id="import-progress"')
    assert '<dd id="rows-done">5 of 8 done</dd>' in box
    assert '<dd id="created">4</dd>' in box
    assert '<dd id="error-count">1</dd>' in box

    # when: it finishes, polling stops
    import_jobs.run(job_id=job.pk, chunk=5)
    final = client.get(started["Location"]).content.decode()
    assert '<dd id="rows-done">8 of 8 done</dd>' in final
    assert "hx-trigger" not in final


def test_client_users_do_not_get_the_import_page(client, tenant_a):
    client.force_login(tenant_a.client_user)
    assert client.get("/work/import/").status_code == 404


def _start(tenant, queue, text: str, *, all_or_nothing: bool = False):
    """A job for `text`, as the import page or the API would start it."""
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    with client_scope(clients=[tenant.client]):
        return import_jobs.start(
            actor=tenant.team_lead, queue=queue, upload=upload, all_or_nothing=all_or_nothing
        )


# --- crash safety on PostgreSQL ---------------------------------------------------------

_RUN_JOB = """
import sys
import django
django.setup()
from tercero.delivery.work import import_jobs, tasks
from tercero.delivery.work.tests.conftest import FORM, TICKET
from tercero.delivery.work import registry
registry.register(TICKET)
registry.register(FORM)
import_jobs.run(job_id=int(sys.argv[1]), chunk=int(sys.argv[2]))
"""


def _database_url() -> str:
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
def test_an_import_killed_with_sigkill_and_run_again_takes_each_row_exactly_once(
    tenant_a, transactional_db, settings
):
    # given: a 6,000-row file being imported by a worker process, 250 rows a chunk
    queue = make_queue(live_engagement(tenant_a.client))
    job = _start(tenant_a, queue, _csv(6000))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "TERCERO_MEDIA_DIR": str(settings.STORAGES["default"]["OPTIONS"]["location"]),
    }
    env.pop("TERCERO_TEST_DB", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", _RUN_JOB, str(job.pk), "250"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    # when: it is killed with SIGKILL once some chunks are in
    deadline = time.monotonic() + 120
    while _job(job.pk).rows_done < 1000 and worker.poll() is None:
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    stopped = _job(job.pk)

    # then: it died mid-import, with whole chunks only
    assert worker.stderr is not None  # piped above
    assert worker.returncode == -9, worker.stderr.read().decode()[-2000:]
    assert 1000 <= stopped.rows_done < 6000
    assert stopped.rows_done % 250 == 0
    assert sum(_refs(tenant_a.client.pk).values()) == stopped.created_count == stopped.rows_done

    # when: a second run finishes it
    import_jobs.run(job_id=job.pk, chunk=250)

    # then: every row exactly once
    refs = _refs(tenant_a.client.pk)
    assert refs == {f"R-{n}": 1 for n in range(1, 6001)}
    finished = _job(job.pk)
    assert (finished.status, finished.rows_done, finished.created_count) == ("done", 6000, 6000)
