import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tercero.platform.ops import scheduler, tasks
from tercero.platform.ops.models import Heartbeat, ScheduledRun
from tercero.platform.ops.services import prune_scheduled_runs

NOON = datetime(2026, 11, 24, 12, 0, 7, tzinfo=UTC)


@pytest.fixture(autouse=True)
def platform_jobs_only(monkeypatch):
    """These tests count slots: keep only the platform's own two jobs registered."""
    kept = {name: job for name, job in scheduler._JOBS.items() if name in PLATFORM_JOBS}
    monkeypatch.setattr(scheduler, "_JOBS", kept)


PLATFORM_JOBS = ("heartbeat", "prune_history")


def test_slot_start_is_aligned_to_the_interval():
    assert scheduler.slot_start(NOON, 15) == datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    assert scheduler.slot_start(NOON + timedelta(seconds=8), 15) == datetime(
        2026, 11, 24, 12, 0, 15, tzinfo=UTC
    )
    assert scheduler.slot_start(NOON, 3600) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_heartbeat_job_is_registered_every_15_seconds():
    registered = {job.name: job for job in scheduler.jobs()}
    assert registered["heartbeat"].every_seconds == 15
    assert registered["heartbeat"].task is tasks.heartbeat


def test_a_job_cannot_run_more_than_once_a_second():
    with pytest.raises(ValueError, match="once a second"):
        scheduler.register(scheduler.PeriodicJob("too-often", 0, tasks.heartbeat))


def test_two_ticks_in_one_slot_enqueue_once(db):
    # given a scheduler that already ticked in this slot
    assert sorted(scheduler.tick(now=NOON)) == ["heartbeat", "prune_history"]
    # when another tick lands in the same slot
    again = scheduler.tick(now=NOON + timedelta(seconds=3))
    # then nothing more is enqueued
    assert again == []
    assert ScheduledRun.objects.filter(job="heartbeat").count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith=".heartbeat").count() == 1


def test_the_next_slot_enqueues_again(db):
    scheduler.tick(now=NOON)
    assert scheduler.tick(now=NOON + timedelta(seconds=15)) == ["heartbeat"]
    assert ScheduledRun.objects.filter(job="heartbeat").count() == 2


def test_the_claimed_run_remembers_its_task(db):
    scheduler.tick(now=NOON)
    run = ScheduledRun.objects.get(job="heartbeat")
    assert DBTaskResult.objects.filter(pk=run.task_id).exists()


def test_a_tick_writes_the_scheduler_heartbeat(db):
    scheduler.tick(now=NOON)
    assert Heartbeat.objects.filter(process="scheduler").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_for_one_slot_enqueue_once():
    # given two schedulers, each with its own database connection, released together
    start = threading.Barrier(2)
    enqueued: list[list[str]] = []
    errors: list[BaseException] = []

    def one_scheduler():
        try:
            start.wait()
            enqueued.append(scheduler.tick(now=NOON))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # when both tick in the same slot at the same moment
    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then each job was enqueued once, by whichever scheduler won its slot
    assert errors == []
    assert len(enqueued) == 2
    assert sorted(enqueued[0] + enqueued[1]) == ["heartbeat", "prune_history"]
    assert ScheduledRun.objects.count() == 2
    assert DBTaskResult.objects.count() == 2


def test_the_heartbeat_task_marks_the_worker_alive(db):
    tasks.heartbeat.call()
    beat = Heartbeat.objects.get(process="worker")
    assert timezone.now() - beat.seen_at < timedelta(seconds=5)


def test_old_scheduled_runs_are_pruned(db):
    scheduler.tick(now=NOON - timedelta(days=3))
    scheduler.tick(now=NOON)
    assert prune_scheduled_runs(before=NOON - timedelta(days=2)) == 2
    assert ScheduledRun.objects.count() == 2


def test_run_forever_stops_when_asked(db):
    ticks = []

    def stop_after_first_tick():
        ticks.append(1)
        return len(ticks) > 1

    scheduler.run_forever(interval_seconds=0.01, should_stop=stop_after_first_tick)
    assert Heartbeat.objects.filter(process="scheduler").exists()
