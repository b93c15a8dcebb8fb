"""Process heartbeats: the worker and the scheduler say they are alive."""

from django.utils import timezone

from tercero.platform.ops.models import Heartbeat


def beat(*, process: str, detail: str = "") -> None:
    Heartbeat.objects.update_or_create(
        process=process, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )
