"""The next lead an agent should call, taken so that no other agent gets it.

Order: the callbacks that are due first -- a callback booked for one agent is offered
to that agent only, one booked for anyone to every agent --, then the campaign's other
callable leads by their list's priority (highest first) and their next callable moment
(earliest first). Only leads of lists that are scrubbed and ready are offered.

On PostgreSQL the candidates are read `FOR UPDATE SKIP LOCKED`, so agents asking at the
same moment get different leads without waiting on each other; on SQLite the
transaction is IMMEDIATE (settings), which serialises askers. Call inside
`transaction.atomic()`; the caller marks the lead `in_call` in the same transaction.
"""

from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet

from tercero.services.outbound.models import Campaign, Lead, LeadList

BATCH = 20  # candidates locked at once; those refused at dial time are held and skipped


def candidates(*, campaign: Campaign, agent_id: int | None, now: datetime) -> QuerySet[Lead]:
    mine_or_anyone = Q(callback_agent_id__isnull=True)
    if agent_id is not None:
        mine_or_anyone |= Q(callback_agent_id=agent_id)
    due = Q(next_callable_at__isnull=True) | Q(next_callable_at__lte=now)
    callback_due = Q(callback_at__isnull=True) | Q(callback_at__lte=now)
    found = (
        Lead.objects.filter(
            campaign=campaign,
            status=Lead.Status.CALLABLE,
            lead_list__status=LeadList.Status.READY,
        )
        .filter(due, callback_due, mine_or_anyone)
        .order_by(
            F("callback_at").asc(nulls_last=True),
            "-lead_list__priority",
            F("next_callable_at").asc(nulls_first=True),
            "pk",
        )
    )
    if connection.features.has_select_for_update_skip_locked:
        found = found.select_for_update(skip_locked=True, of=("self",))
    return found


def take(*, campaign: Campaign, agent_id: int | None, now: datetime) -> list[Lead]:
    """Up to BATCH candidate leads, locked for this transaction, in dialling order."""
    return list(candidates(campaign=campaign, agent_id=agent_id, now=now)[:BATCH])
