"""Who may open which item, beyond the client boundary.

- An agent opens only items routing gave them (pulled, pushed, assigned: any
  assignment of theirs, current or past) or one they opened by break-glass: a reason
  that is audited and alerts the team lead, valid for BREAK_GLASS_SECONDS.
- Anyone working from a site the engagement's residency rule excludes never sees that
  engagement's items that hold personal data: not on pages, in the API, in exports or
  in search, and break-glass does not lift it.
Team leads and managers see their clients' items (within residency).
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.residency import site_satisfies_residency
from tercero.delivery.work.models import Assignment, WorkItem
from tercero.delivery.workforce import shifts
from tercero.delivery.workforce.models import Agent
from tercero.platform.audit.services import record
from tercero.platform.errors import NotFound, PermissionDenied
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import Role
from tercero.platform.security.models import RevealGrant
from tercero.platform.security.services import ACCESS


class BreakGlassRequired(PermissionDenied):
    code = "break_glass_required"


def _agent(user: User) -> Agent | None:
    """The user's agent profile, read once per user object (a page asks several times)."""
    cache = user.__dict__
    if "_tercero_agent" not in cache:
        cache["_tercero_agent"] = Agent.objects.filter(user=user).select_related("site").first()
    found: Agent | None = cache["_tercero_agent"]
    return found


def residency_blocked(user: User, client_ids: Iterable[int]) -> list[int]:
    """Engagements whose personal data the user's site may not see."""
    agent = _agent(user)
    if agent is None or not user.is_provider_staff:
        return []
    return [
        engagement.pk
        for engagement in Engagement.objects.filter(client_id__in=client_ids).select_related(
            "client"
        )
        if not site_satisfies_residency(engagement, agent.site)
    ]


def _own_or_opened(user: User) -> Q:
    held = Assignment.objects.filter(item_id=OuterRef("pk"), agent__user=user)
    opened = RevealGrant.objects.filter(
        user=user,
        object_type=ACCESS,
        object_id=OuterRef("pk"),
        status=RevealGrant.Status.GRANTED,
        expires_at__gt=timezone.now(),
    )
    return Q(Exists(held)) | Q(Exists(opened))


def restrict(
    user: User | None, found: QuerySet[WorkItem], client_ids: Iterable[int]
) -> QuerySet[WorkItem]:
    """`found` (a WorkItem queryset) cut down to what `user` may see."""
    if user is None or not user.is_provider_staff:
        return found
    blocked = residency_blocked(user, client_ids)
    if blocked:
        found = found.exclude(personal_data=True, engagement_id__in=blocked)
    if user.role == Role.AGENT:
        found = found.filter(_own_or_opened(user))
    return found


def check(user: User | None, item: WorkItem) -> None:
    """Raise NotFound (residency) or BreakGlassRequired (an agent's unassigned item)."""
    if user is None or not user.is_provider_staff:
        return
    if item.personal_data and item.engagement_id in residency_blocked(user, [item.client_id]):
        raise NotFound("Work item not found.")
    if (
        user.role == Role.AGENT
        and not restrict(user, WorkItem.objects.filter(pk=item.pk), [item.client_id]).exists()
    ):
        raise BreakGlassRequired(
            "This item was not given to you. Say why you need it to open it anyway; "
            "your team lead will be told."
        )


def on_shift(user: User) -> bool | None:
    """Whether the user works a shift now: their published schedule when one covers
    them, otherwise whether they are signed in to take work (not offline)."""
    agent = _agent(user)
    if agent is None:
        return None
    scheduled = shifts.scheduled_now(agent)
    if scheduled is not None:
        return scheduled
    return agent.presence != Agent.Presence.OFFLINE


def record_view(*, user: User, item: WorkItem) -> None:
    """Opening a customer record is itself an audit event (the misuse detector counts)."""
    if not user.is_provider_staff:
        return
    record(
        action="work_item.viewed",
        actor=user,
        client=item.client_id,
        object_type="work_item",
        object_id=item.pk,
        payload={"engagement_id": item.engagement_id, "on_shift": on_shift(user)},
    )


def may_export(user: User) -> bool:
    """Bulk export: agents may not (pages then offer no Export CSV)."""
    return not (user.is_provider_staff and user.role == Role.AGENT)


def openable(user: User, client_ids: Iterable[int], item_ids: Iterable[int]) -> set[int]:
    """Which of `item_ids` the user may open without breaking the glass: pages link only
    to those (the others show their number alone)."""
    wanted = [pk for pk in item_ids if pk is not None]
    if not wanted:
        return set()
    clients = list(client_ids)
    found = WorkItem.objects.filter(client_id__in=clients, pk__in=wanted)
    return set(restrict(user, found, clients).values_list("pk", flat=True))


def record_export(*, user: User, client_ids: Iterable[int], rows: int, where: str) -> None:
    """Bulk export: agents may not; everyone else is audited, once per client."""
    if not may_export(user):
        raise PermissionDenied("Agents cannot export lists; ask your team lead.")
    for client_id in sorted(client_ids):
        record(
            action="work_items.exported",
            actor=user,
            client=client_id,
            object_type="work_item",
            payload={"rows": rows, "where": where, "on_shift": on_shift(user)},
        )
