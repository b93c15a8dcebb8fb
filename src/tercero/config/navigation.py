"""What the main navigation shows: only the pages the signed-in role may use."""

from django.conf import settings
from django.urls import reverse

# (label, url name, test on the user) in display order
ENTRIES = (
    (
        "Workspace",
        "work:workspace",
        lambda u: u.is_provider_staff and "work:write" in u.permissions,
    ),
    (
        "Contact",
        "contact:desk",
        lambda u: u.is_provider_staff and "work:write" in u.permissions,
    ),
    ("Floor", "work:floor", lambda u: "work:assign" in u.permissions),
    ("Items", "work:items", lambda u: u.is_provider_staff and "work:read" in u.permissions),
    ("SLA", "work:sla", lambda u: u.is_provider_staff and "work:read" in u.permissions),
    (
        "Care report",
        "care:reports",
        lambda u: u.role != "agent" and "work:read" in u.permissions,
    ),
    (
        "Knowledge",
        "care:articles",
        lambda u: u.is_provider_staff and "work:read" in u.permissions,
    ),
    ("Payroll", "payroll:runs", lambda u: "payroll:read" in u.permissions),
    (
        "HR changes",
        "payroll:hr_changes",
        lambda u: u.is_provider_staff and "hr:write" in u.permissions,
    ),
    (
        "Security",
        "work:security",
        lambda u: u.is_provider_staff and "security:read" in u.permissions,
    ),
    (
        "Engagements",
        "engagements:list",
        lambda u: u.is_provider_staff and "engagements:read" in u.permissions,
    ),
    (
        "Agents",
        "workforce:agents",
        lambda u: u.is_provider_staff and "agents:read" in u.permissions,
    ),
    ("Sites", "workforce:sites", lambda u: u.is_provider_staff and "sites:read" in u.permissions),
    ("Our services", "portal:home", lambda u: not u.is_provider_staff),
    ("Our items", "portal:items", lambda u: not u.is_provider_staff),
    ("SLA report", "portal:sla", lambda u: not u.is_provider_staff),
    ("Users", "portal:users", lambda u: not u.is_provider_staff and "users:write" in u.permissions),
    (
        "Audit checkpoints",
        "portal:audit",
        lambda u: not u.is_provider_staff and "audit:read" in u.permissions,
    ),
    ("Administration", "admin:index", lambda u: u.is_staff),
)


def entries_for(user) -> list[tuple[str, str]]:
    return [(label, reverse(name)) for label, name, allowed in ENTRIES if allowed(user)]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    entries = [
        {
            "label": label,
            "url": url,
            "current": path == url or (url != "/" and path.startswith(url)),
        }
        for label, url in entries_for(user)
    ]
    return {
        "navigation": entries,
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "idle_warn_seconds": settings.SESSION_IDLE_WARN_SECONDS,
    }


def landing_url(user) -> str | None:
    """Where a role starts its day; None for roles that start on the home page."""
    if not user.is_provider_staff:
        return reverse("portal:home")
    if "work:assign" in user.permissions:
        return reverse("work:floor")  # leads, managers and admins watch the floor
    if "work:write" in user.permissions:
        return reverse("work:workspace")
    return None
