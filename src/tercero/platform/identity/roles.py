"""Roles and what each may do: pages, API and token scopes read it.

The platform's and the engine's permissions are listed here; each service line adds its
own, with the roles that hold them by default, in its manifest (platform/catalogue.py).
"""

from collections.abc import Iterator, Sequence
from functools import cache
from typing import overload

from django.db import models

from tercero.platform import catalogue


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", "Provider admin"
    DELIVERY_MANAGER = "delivery_manager", "Delivery manager"
    TEAM_LEAD = "team_lead", "Team lead"
    AGENT = "agent", "Agent"
    QA_ANALYST = "qa_analyst", "QA analyst"
    AUDITOR = "auditor", "Auditor"
    CLIENT_ADMIN = "client_admin", "Client admin"
    CLIENT_USER = "client_user", "Client user"


PROVIDER_ROLES = frozenset(
    {
        Role.PROVIDER_ADMIN,
        Role.DELIVERY_MANAGER,
        Role.TEAM_LEAD,
        Role.AGENT,
        Role.QA_ANALYST,
        Role.AUDITOR,
    }
)
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_USER})
# Every role that can see personal data, and client admins: sign-in needs a second
# factor (MFA_ENFORCED). Client users may enrol too.
MFA_REQUIRED_ROLES = PROVIDER_ROLES | {Role.CLIENT_ADMIN}

# Every permission is also an API token scope.
CORE_PERMISSIONS = (
    "clients:read",
    "clients:write",
    "sites:read",
    "sites:write",
    "engagements:read",
    "engagements:write",
    "users:read",
    "users:write",
    "grants:write",
    "tokens:write",
    "audit:read",
    "work:read",
    "work:write",
    "work:assign",
    "queues:write",
    "agents:read",
    "agents:write",
    "webhooks:write",
    "personal:reveal",
    "security:read",
    "privacy:write",
)

_READ_DELIVERY = {
    "clients:read",
    "sites:read",
    "engagements:read",
    "work:read",
    "agents:read",
    "tokens:write",
}

CORE_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PROVIDER_ADMIN: frozenset(CORE_PERMISSIONS),
    Role.DELIVERY_MANAGER: frozenset(
        _READ_DELIVERY
        | {
            "sites:write",
            "engagements:write",
            "users:read",
            "work:write",
            "work:assign",
            "queues:write",
            "agents:write",
            "webhooks:write",
            "personal:reveal",
            "security:read",
        }
    ),
    Role.TEAM_LEAD: frozenset(
        _READ_DELIVERY
        | {
            "users:read",
            "work:write",
            "work:assign",
            "personal:reveal",
            "security:read",
        }
    ),
    Role.AGENT: frozenset(_READ_DELIVERY | {"work:write", "personal:reveal"}),
    Role.QA_ANALYST: frozenset(_READ_DELIVERY),
    Role.AUDITOR: frozenset(_READ_DELIVERY | {"users:read", "audit:read", "security:read"}),
    Role.CLIENT_ADMIN: frozenset(
        {
            "clients:read",
            "engagements:read",
            "users:read",
            "users:write",
            "tokens:write",
            "work:read",
            "work:write",
            "audit:read",
            "webhooks:write",
            "personal:reveal",
            "privacy:write",
        }
    ),
    Role.CLIENT_USER: frozenset(
        {"clients:read", "engagements:read", "tokens:write", "work:read", "work:write"}
    ),
}


class _AllPermissions(Sequence[str]):
    """Every permission: the core ones, then each installed service line's, read live
    from the catalogue (lines register at start-up, after this module is imported)."""

    def _names(self) -> tuple[str, ...]:
        return _all_permissions(catalogue.generation())

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()


PERMISSIONS: Sequence[str] = _AllPermissions()


@cache
def _all_permissions(generation: int) -> tuple[str, ...]:
    return CORE_PERMISSIONS + tuple(p.name for p in catalogue.permissions())


def permissions_of(role: str) -> frozenset[str]:
    return _permissions_of(role, catalogue.generation())


@cache
def _permissions_of(role: str, generation: int) -> frozenset[str]:
    """A provider admin holds every permission; other roles their core ones and what
    each service line gives them by default."""
    if role == Role.PROVIDER_ADMIN:
        return frozenset(_all_permissions(generation))
    from_lines = {p.name for p in catalogue.permissions() if role in p.roles}
    return CORE_ROLE_PERMISSIONS.get(role, frozenset()) | from_lines
