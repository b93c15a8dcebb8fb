"""The service catalogue: every service line says everything about itself in one manifest.

A service registers its `ServiceLine` from its `AppConfig.ready()` through the work
engine (`tercero.delivery.work.registry.register_line`), which installs its work types,
event types, consumers and jobs and then adds it here. Roles, the API, URLs, navigation,
the demo, engagements and the isolation matrix read this catalogue; nothing outside a
service's folder names it except its line in INSTALLED_APPS.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    # type hints only: the engine's registry reads this module, never the reverse
    from ninja import Router

    from tercero.delivery.work.event_types import EventType
    from tercero.delivery.work.outbox import Consumer
    from tercero.delivery.work.registry import WorkType
    from tercero.platform.identity.models import User
    from tercero.platform.ops.scheduler import PeriodicJob
    from tercero.platform.tenancy.models import Client

Audience = Literal["provider", "client", "all"]


@dataclass(frozen=True)
class Permission:
    """A permission (also an API token scope) and the roles that hold it by default."""

    name: str
    roles: frozenset[str]
    label: str = ""


@dataclass(frozen=True)
class Offering:
    """A service line an engagement can be for (`Engagement.service_line`)."""

    key: str
    title: str


@dataclass(frozen=True)
class NavEntry:
    """A main-navigation entry, shown to `audience` holding `permission`."""

    label: str
    url_name: str
    permission: str
    audience: Audience = "provider"
    hidden_from_roles: frozenset[str] = frozenset()

    def is_shown_to(self, user: "User") -> bool:
        if user.role in self.hidden_from_roles or self.permission not in user.permissions:
            return False
        if self.audience == "all":
            return True
        return user.is_provider_staff == (self.audience == "provider")


@dataclass(frozen=True)
class Isolation:
    """The line's routes in the isolation matrix (tests/test_isolation_matrix.py):
    API and page routes taking another client's object id, with the (method, body)
    pairs to try as an outsider, and routes with no object id, with why they are safe."""

    api_routes: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    page_routes: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    scoped_routes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoContext:
    """What a line's demo loader gets: the demo provider's admin, every demo person by
    e-mail, and the demo clients by short name ("northwind", "rheinwerk", "albion")."""

    admin: "User"
    people: dict[str, "User"]
    clients: dict[str, "Client"]

    def person(self, email: str) -> "User":
        return self.people[email]


@dataclass(frozen=True)
class SlaFigure:
    """One measured figure of an engagement's service level for a client's SLA report: a
    measure ("Quality score"), its result and target in `unit`, the sample it was
    measured on and the 95 % interval around the result (None when nothing measured)."""

    engagement: str
    label: str
    value: float | None
    target: float | None
    unit: str
    sample: int
    low: float | None = None
    high: float | None = None

    @property
    def is_met(self) -> bool | None:
        """Whether the result reaches the target; None when either is missing."""
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


# what a line adds to the monthly SLA report: (client ids, first day, last day) -> figures
SlaFigures = Callable[[Sequence[int], date, date], list[SlaFigure]]


@dataclass(frozen=True)
class ServiceLine:
    """One service module's manifest."""

    key: str
    title: str
    offers: tuple[Offering, ...] = ()
    work_types: tuple["WorkType", ...] = ()
    # the outbox event kinds the line publishes (work.event_types.EventType), each with
    # its schema: `<key>.<thing>.<past tense>`
    events: tuple["EventType", ...] = ()
    permissions: tuple[Permission, ...] = ()
    navigation: tuple[NavEntry, ...] = ()
    # a django-ninja Router, mounted under /api/v1/
    api: "Router | None" = None
    # a module path with `urlpatterns` and `app_name`, mounted at `url_prefix`
    urls: str = ""
    url_prefix: str = ""
    consumers: tuple["Consumer", ...] = ()
    jobs: tuple["PeriodicJob", ...] = ()
    demo: Callable[[DemoContext], None] | None = None
    isolation: Isolation = field(default_factory=Isolation)
    # figures the line measures for the clients' SLA reports (quality score, accuracy)
    sla_figures: SlaFigures | None = None


_LINES: dict[str, ServiceLine] = {}
# bumped on every change, so readers can cache what they derive from the catalogue
_generation = [0]


def generation() -> int:
    return _generation[0]


def add(line: ServiceLine, *, core_permissions: Iterable[str] = ()) -> None:
    """Keep `line` in the catalogue after checking it against the lines already there."""
    problems = _problems(line, set(core_permissions))
    if problems:
        raise ImproperlyConfigured(f"Service line {line.key!r}: " + "; ".join(problems))
    _LINES[line.key] = line
    _generation[0] += 1


def remove(key: str) -> None:
    _LINES.pop(key, None)
    _generation[0] += 1


def lines() -> list[ServiceLine]:
    return list(_LINES.values())


def find(key: str) -> ServiceLine | None:
    return _LINES.get(key)


def sla_figures(client_ids: Sequence[int], first: date, last: date) -> list[SlaFigure]:
    """Every line's SLA figures for `client_ids` between `first` and `last` (inclusive)."""
    figures: list[SlaFigure] = []
    for line in lines():
        if line.sla_figures is not None:
            figures += line.sla_figures(client_ids, first, last)
    return sorted(figures, key=lambda figure: (figure.engagement, figure.label))


def offerings() -> dict[str, str]:
    """Engagement service lines the installed services run: {key: title}."""
    return {offer.key: offer.title for line in lines() for offer in line.offers}


def permissions() -> list[Permission]:
    return [permission for line in lines() for permission in line.permissions]


def _problems(line: ServiceLine, core: set[str]) -> list[str]:
    others = [other for other in lines() if other.key != line.key]
    taken = core | {p.name for other in others for p in other.permissions}
    problems = [] if line.key.isidentifier() else ["its key must be a lower-case identifier"]
    problems += _permission_problems(line, taken)
    offered = {offer.key for other in others for offer in other.offers}
    problems += [
        f"service line {offer.key!r} is already offered by another module"
        for offer in line.offers
        if offer.key in offered
    ]
    known = taken | {p.name for p in line.permissions}
    problems += [
        f"navigation {entry.label!r} needs unknown {entry.permission!r}"
        for entry in line.navigation
        if entry.permission not in known
    ]
    if line.url_prefix and not line.url_prefix.endswith("/"):
        problems.append("its url_prefix must end with '/'")
    if bool(line.urls) != bool(line.url_prefix):
        problems.append("urls and url_prefix go together")
    return problems


def _permission_problems(line: ServiceLine, taken: set[str]) -> list[str]:
    problems = []
    for permission in line.permissions:
        if permission.name in taken:
            problems.append(f"permission {permission.name!r} is already defined")
        if ":" not in permission.name:
            problems.append(f"permission {permission.name!r} must read 'thing:verb'")
    return problems
