"""Roles and what each may do. Pure data: pages, API and token scopes read it."""

from django.db import models


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
PERMISSIONS = (
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
    "payroll:read",
    "payroll:write",
    "payroll:approve",
    "hr:write",
)

_READ_DELIVERY = {
    "clients:read",
    "sites:read",
    "engagements:read",
    "work:read",
    "agents:read",
    "tokens:write",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PROVIDER_ADMIN: frozenset(PERMISSIONS),
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
            "payroll:read",
            "payroll:write",
            "hr:write",
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
            "payroll:read",
            "payroll:write",
            "hr:write",
        }
    ),
    Role.AGENT: frozenset(_READ_DELIVERY | {"work:write", "personal:reveal", "hr:write"}),
    Role.QA_ANALYST: frozenset(_READ_DELIVERY),
    Role.AUDITOR: frozenset(
        _READ_DELIVERY | {"users:read", "audit:read", "security:read", "payroll:read"}
    ),
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
            "payroll:read",
            "payroll:approve",
        }
    ),
    Role.CLIENT_USER: frozenset(
        {"clients:read", "engagements:read", "tokens:write", "work:read", "work:write"}
    ),
}


def permissions_of(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
