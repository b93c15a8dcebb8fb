"""What the main navigation shows: only the pages the signed-in role may use."""

from django.conf import settings
from django.urls import reverse

from tercero.platform import catalogue

# (label, url name, test on the user) in display order; each service line's own entries
# (its manifest's `navigation`) come after the work pages
WORK_ENTRIES = (
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
)
SETUP_ENTRIES = (
    (
        "Security",
        "work:security",
        lambda u: u.is_provider_staff and "security:read" in u.permissions,
    ),
    ("Operations", "operations", lambda u: u.is_provider_staff and "work:read" in u.permissions),
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
    ("People", "people:list", lambda u: u.is_provider_staff and "users:write" in u.permissions),
    (
        "Audit trail",
        "audit:trail",
        lambda u: u.is_provider_staff and "audit:read" in u.permissions,
    ),
    ("Our services", "portal:home", lambda u: not u.is_provider_staff),
    ("Our items", "portal:items", lambda u: not u.is_provider_staff),
    ("SLA report", "portal:sla", lambda u: not u.is_provider_staff),
    ("Users", "portal:users", lambda u: not u.is_provider_staff and "users:write" in u.permissions),
    (
        "Verification page",
        "contact:portal_page",
        lambda u: not u.is_provider_staff and u.role == "client_admin",
    ),
    (
        "Audit checkpoints",
        "portal:audit",
        lambda u: not u.is_provider_staff and "audit:read" in u.permissions,
    ),
    ("Settings", "provider_settings", lambda u: u.is_staff),
    ("Administration", "admin:index", lambda u: u.is_staff),
)


def entries_for(user) -> list[tuple[str, str]]:
    lines = [
        (entry.label, entry.url_name, entry.is_shown_to)
        for line in catalogue.lines()
        for entry in line.navigation
    ]
    entries = (*WORK_ENTRIES, *lines, *SETUP_ENTRIES)
    return [(label, reverse(name)) for label, name, allowed in entries if allowed(user)]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    found = entries_for(user)
    current = current_url(request.path, [url for _, url in found])
    entries = [{"label": label, "url": url, "current": url == current} for label, url in found]
    return {
        "navigation": entries,
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "idle_warn_seconds": settings.SESSION_IDLE_WARN_SECONDS,
    }


def current_url(path: str, urls: list[str]) -> str | None:
    """The one entry a page belongs to: its own address, else the longest entry it sits
    under (/work/items/3/ is under Items, not also under Workspace at /work/)."""
    under = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(under, key=len, default=None)


def landing_url(user) -> str | None:
    """Where a role starts its day; None for roles that start on the home page."""
    if not user.is_provider_staff:
        return reverse("portal:home")
    if "work:assign" in user.permissions:
        return reverse("work:floor")  # leads, managers and admins watch the floor
    if "work:write" in user.permissions:
        return reverse("work:workspace")
    return None
