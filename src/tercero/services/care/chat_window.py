"""Reads for the agent's side of a chat: the client's brand (as the customer sees it on
the hosted page and the widget) and where the chat stands against its answer target."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Value, When

from tercero.delivery.work import sla
from tercero.services.care.models import WebChannel

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem

DEFAULT_COLOUR = "#1f5fa8"


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str


@dataclass(frozen=True)
class AnswerStanding:
    """The live answer target: met or late once answered; while the customer waits,
    on track, at risk (past the queue's at-risk share of the target) or breached."""

    state: str  # on_track, at_risk, breached, met
    target_seconds: int
    due_at: datetime
    answered_at: datetime | None
    waited_seconds: int

    @property
    def target_words(self) -> str:
        return seconds_words(self.target_seconds)

    @property
    def waited_words(self) -> str:
        return seconds_words(self.waited_seconds)


def seconds_words(seconds: int) -> str:
    """A customer's wait in words a person reads at a glance: "30 s", "2 min 05 s"."""
    minutes, rest = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {rest:02d} s"
    return f"{rest} s"


def brand_of(*, ticket: "WorkItem") -> Brand:
    """The brand of the web channel the chat came in on: the channel of the ticket's
    queue, else the engagement's first chat channel, else the engagement's name."""
    channel = (
        WebChannel.objects.filter(engagement_id=ticket.engagement_id, has_chat=True)
        .annotate(
            own=Case(
                When(queue_id=ticket.queue_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("own", "pk")
        .first()
    )
    if channel is None:
        return Brand(name=ticket.engagement.name, colour=DEFAULT_COLOUR)
    return Brand(name=channel.brand_name or channel.title, colour=channel.brand_colour)


def answer_standing(*, ticket: "WorkItem", now: datetime) -> AnswerStanding | None:
    """Where a chat or call stands against its answer target (plain seconds: the
    customer is waiting now); None for other channels."""
    if ticket.channel not in sla.LIVE_CHANNELS:
        return None
    due_at = sla.answer_by(ticket, ticket.engagement)
    target = int((due_at - ticket.created_at).total_seconds())
    answered_at = ticket.first_response_at
    until = answered_at or ticket.resolved_at or ticket.cancelled_at or now
    waited = max(0, int((until - ticket.created_at).total_seconds()))
    if answered_at is not None:
        state = "met" if answered_at <= due_at else "breached"
    elif until >= due_at:
        state = "breached"
    elif waited * 100 >= target * ticket.queue.at_risk_percent:
        state = "at_risk"
    else:
        state = "on_track"
    return AnswerStanding(state, target, due_at, answered_at, waited)
