from datetime import UTC, datetime, timedelta

from django.utils import timezone

from tercero.platform.ops import scheduler
from tercero.platform.ops.models import Heartbeat, ScheduledRun


def test_healthz_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_until_a_worker_beats(client, db):
    assert client.get("/readyz").status_code == 503
    Heartbeat.objects.create(process="worker", seen_at=timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "worker": "ok"}


def test_readyz_is_503_when_the_worker_went_quiet(client, db):
    Heartbeat.objects.create(process="worker", seen_at=timezone.now() - timedelta(hours=1))
    assert client.get("/readyz").status_code == 503


def test_two_schedulers_in_one_slot_enqueue_once(db):
    now = datetime(2026, 11, 24, 12, 0, 7, tzinfo=UTC)
    assert scheduler.tick(now=now) == ["heartbeat"]
    assert scheduler.tick(now=now + timedelta(seconds=3)) == []
    assert ScheduledRun.objects.filter(job="heartbeat").count() == 1


def test_sign_in_rotates_the_session_and_lists_only_reachable_clients(client, tenant_a, tenant_b):
    client.get("/login/")
    before = client.cookies.get("sessionid")
    response = client.post(
        "/login/",
        {"username": tenant_a.client_user.email, "password": "correct horse battery staple"},
        follow=True,
    )
    assert client.cookies["sessionid"].value != (before.value if before else None)
    assert "Acme Retail Inc" in response.content.decode()
    assert "Bergmann" not in response.content.decode()


def test_login_page_has_a_strict_csp_header(client, db):
    policy = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
