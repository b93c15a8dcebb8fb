"""Who may move an item by which action: the rules the API and the staff pages share.

Working an item (start, wait, resume, resolve, give back) is for the agent who holds it
or someone who may assign work. Closing, reopening, cancelling and releasing are a team
lead's (`work:assign`) among the provider's staff, on the pages and the API alike; a
client's own users and systems that may write work may do them to their items, as they
cancel and reopen what they sent through the API."""

from collections.abc import Set
from typing import TYPE_CHECKING

from tercero.delivery.workforce.selectors import own_agent
from tercero.platform.errors import PermissionDenied

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
    from tercero.platform.identity.models import User

AGENT_ACTIONS = frozenset({"start", "wait", "resume", "resolve", "unassign"})
LEAD_ACTIONS = frozenset({"close", "reopen", "cancel", "release"})


def require_holder_or_lead(
    *, user: "User", permissions: Set[str], item: "WorkItem", action: str
) -> None:
    """Refuse (403) an agent's action on an item someone else holds, unless the caller
    may assign work."""
    if action not in AGENT_ACTIONS or "work:assign" in permissions:
        return
    agent = own_agent(user)
    if agent is None or item.assignee_id != agent.pk:
        raise PermissionDenied("Only the agent holding the item (or a team lead) may do that.")


def require_lead(*, user: "User", permissions: Set[str], action: str) -> None:
    """Refuse (403) a lead's action to provider staff who may not assign work."""
    if action in LEAD_ACTIONS and user.is_provider_staff and "work:assign" not in permissions:
        raise PermissionDenied("Only a team lead may do that.")


def require_may(*, user: "User", permissions: Set[str], item: "WorkItem", action: str) -> None:
    """Every rule above for `action` on `item`: what the API and the pages both ask."""
    require_holder_or_lead(user=user, permissions=permissions, item=item, action=action)
    require_lead(user=user, permissions=permissions, action=action)


def may_press(*, permissions: Set[str], action: str, may_work: bool) -> bool:
    """Whether the item page offers `action` as a button: an agent's action to whoever
    may work the item, any other to someone who may assign and write work."""
    if action in AGENT_ACTIONS:
        return may_work
    return "work:assign" in permissions and "work:write" in permissions
