"""Readiness: is the database reachable, fully migrated, and is a worker alive? And
how far behind is each background consumer (its backlog)?"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tercero.platform.ops.models import Heartbeat

OK = "ok"
# Who may read operations (the page and the API): provider staff who may read work.
PERMISSION = "work:read"


def readiness() -> dict[str, str]:
    """Each check's state: 'ok' or a short reason (never client data)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        unreachable = f"unreachable: {error.__class__.__name__}"
        return {"database": unreachable, "migrations": "unknown", "worker": "unknown"}
    return {"database": OK, "migrations": _migrations_state(), "worker": _worker_state()}


def _migrations_state() -> str:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return OK if not pending else f"{len(pending)} not applied"


def _worker_state() -> str:
    beat = Heartbeat.objects.filter(process="worker").first()
    if beat is None:
        return "no heartbeat yet"
    age = timezone.now() - beat.seen_at
    if age > timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS):
        return f"last heartbeat {int(age.total_seconds())} s ago"
    return OK


@dataclass(frozen=True)
class Backlog:
    """Work waiting for one background consumer: how much, and since when. Counts and
    times only, never client data."""

    source: str  # what is consumed: "outbox", "webhooks"
    consumer: str
    waiting: int
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float


type BacklogProbe = Callable[[datetime], list[Backlog]]

_PROBES: dict[str, BacklogProbe] = {}


def register_backlog(source: str, probe: BacklogProbe) -> None:
    """Let `probe(now)` report `source`'s backlogs (apps call this from `ready()`, so
    operations can show modules it may not import); same source replaces."""
    _PROBES[source] = probe


def backlogs(*, now: datetime | None = None) -> list[Backlog]:
    """Every registered consumer's backlog, the longest-waiting first."""
    now = now or timezone.now()
    found = [backlog for probe in _PROBES.values() for backlog in probe(now)]
    return sorted(found, key=lambda b: (-b.oldest_waiting_seconds, b.source, b.consumer))


def waited(oldest: datetime | None, *, now: datetime) -> float:
    """Seconds the oldest waiting thing has waited (0 when nothing waits)."""
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def health_report() -> dict[str, object]:
    """What the operations page and the API show."""
    checks = readiness()
    found = backlogs()
    return {
        "status": "ready" if all(state == OK for state in checks.values()) else "not ready",
        "checks": checks,
        "max_lag_seconds": max((b.oldest_waiting_seconds for b in found), default=0.0),
        "backlogs": found,
    }
