"""The campaign board in the API: the same figures the board page shows, per campaign and
per agent, for a window of the last `hours` (1-168)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from tercero.platform.api.caller import caller_of
from tercero.platform.errors import InvalidInput
from tercero.services.outbound import board

router = Router(tags=["outbound"])
DIAL = "outbound:dial"


class CampaignBoardOut(Schema):
    campaign_id: int
    client_id: int
    name: str
    status: str
    dials: int
    contacts: int
    contact_rate: float | None
    sales: int
    conversion_rate: float | None
    abandoned: int
    abandon_rate: float | None
    abandon_cap_percent: Decimal
    is_over_cap: bool
    attempts_per_lead: float | None
    callable_now: int
    held_by_rule: dict[str, int]


class AgentBoardOut(Schema):
    agent_id: int
    calls: int
    talk_seconds: int
    wrap_seconds: int
    idle_seconds: int


class BoardOut(Schema):
    campaigns: list[CampaignBoardOut]
    agents: list[AgentBoardOut]


@router.get("/outbound/board", response=BoardOut)
def campaign_board(request, hours: int = 24):
    """Dials, contacts, rates, the abandon rate against the cap, leads callable and held
    by rule, and agents' talk, wrap and idle time, for the caller's clients."""
    caller = caller_of(request)
    caller.require(DIAL)
    if not 1 <= hours <= 168:
        raise InvalidInput("Choose a window of 1 to 168 hours.", fields={"hours": "1-168"})
    until = timezone.now()
    since = until - timedelta(hours=hours)
    return {
        "campaigns": board.campaigns_board(client_ids=caller.client_ids, since=since, until=until),
        "agents": board.agents_board(client_ids=caller.client_ids, since=since, until=until),
    }
