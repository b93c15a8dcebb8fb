"""Operations over the API: readiness and each background consumer's lag, for provider
staff (another client's user gets 404, as on the operations page)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import NotFound
from tercero.platform.ops.selectors import PERMISSION, health_report

router = Router(tags=["operations"])


class BacklogOut(Schema):
    source: str
    consumer: str
    waiting: int
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float


class HealthOut(Schema):
    status: str
    checks: dict[str, str]
    max_lag_seconds: float
    backlogs: list[BacklogOut]


@router.get("/ops/health", response=HealthOut)
def health(request: HttpRequest) -> dict[str, object]:
    """Readiness checks and, per consumer, the events waiting and the oldest one's age."""
    caller = caller_of(request)
    if not caller.user.is_provider_staff:
        raise NotFound("Not found.")
    caller.require(PERMISSION)
    return health_report()
