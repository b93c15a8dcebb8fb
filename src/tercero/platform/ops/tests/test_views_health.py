from datetime import timedelta
from unittest import mock

from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tercero.platform.ops.models import Heartbeat


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_until_a_worker_beats(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "no heartbeat yet"},
    }


def test_readyz_is_200_with_a_fresh_worker_heartbeat(client, db):
    Heartbeat.objects.create(process="worker", seen_at=timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }


def test_readyz_is_503_when_the_worker_went_quiet(client, db, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 60
    Heartbeat.objects.create(process="worker", seen_at=timezone.now() - timedelta(seconds=90))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "last heartbeat 90 s ago"


def test_a_scheduler_heartbeat_does_not_count_as_a_worker(client, db):
    Heartbeat.objects.create(process="scheduler", seen_at=timezone.now())
    assert client.get("/readyz").status_code == 503


def test_readyz_is_503_when_migrations_are_not_applied(client, db):
    Heartbeat.objects.create(process="worker", seen_at=timezone.now())
    pending = [(mock.sentinel.migration, False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=pending):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 not applied"


def test_readyz_is_503_when_the_database_does_not_answer(client, db):
    from django.db import OperationalError

    with mock.patch(
        "tercero.platform.ops.selectors.connection.cursor",
        side_effect=OperationalError("gone"),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "unreachable: OperationalError",
        "migrations": "unknown",
        "worker": "unknown",
    }


def test_health_endpoints_refuse_writes(client, db):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
