"""Readiness: is the database reachable, fully migrated, and is a worker alive?"""

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tercero.platform.ops.models import Heartbeat

OK = "ok"


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
