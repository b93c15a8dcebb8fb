"""Bulk import of provider staff from a CSV file: every line is checked first, and either
every person is created (user, agent profile, grants, team) in one transaction, or none
is and each refused line is named with its number.

Columns (header names, any order, case ignored): email, full_name and site are required;
role (agent by default: agent, team_lead, qa_analyst, delivery_manager, auditor), skills
("data_entry:3; chat:2"), languages ("en; es"), capacity ("chat:3; back_office:1", the
defaults when empty), clients (legal names, "; " between them: grants), grant_expires
(YYYY-MM-DD, the grants' last day) and team (an existing team's name) are optional.
Line 1 is the header; the first person is on line 2, as a spreadsheet numbers them.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from tercero.delivery.workforce import services
from tercero.delivery.workforce.models import CHANNELS, SKILL_NAME, Site, Team
from tercero.platform.audit.services import record
from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.identity import services as identity
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope

MAX_LINES = 2000
REQUIRED = ("email", "full_name", "site")
OPTIONAL = ("role", "skills", "languages", "capacity", "clients", "grant_expires", "team")
IMPORTABLE_ROLES = {
    Role.AGENT: "agent",
    Role.TEAM_LEAD: "team lead",
    Role.QA_ANALYST: "QA analyst",
    Role.DELIVERY_MANAGER: "delivery manager",
    Role.AUDITOR: "auditor",
}
_PAIR = re.compile(r"^\s*([a-z][a-z0-9_.-]{0,63})\s*[:=]\s*(\d{1,2})\s*$")


@dataclass
class Person:
    """One checked line, ready to create."""

    line: int
    email: str
    full_name: str
    role: str
    site: Site
    skills: dict[str, int]
    languages: list[str]
    capacity: dict[str, int] | None
    clients: list[Client]
    grant_expires_at: datetime | None
    team: Team | None


@dataclass
class ImportResult:
    """What a file gave: the people created, or the refused lines (and nothing created)."""

    created: list[User] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines: int = 0

    @property
    def is_accepted(self) -> bool:
        return not self.errors


def import_people(*, actor: User, text: str, reachable_client_ids: Iterable[int]) -> ImportResult:
    """Check every line of `text`; when all pass, create everyone in one transaction."""
    reachable = set(reachable_client_ids)
    people, errors, lines = _checked(text, reachable=reachable)
    if errors:
        return ImportResult(errors=errors, lines=lines)
    if not people:
        return ImportResult(errors=["The file has no people in it, only a header."], lines=0)
    try:
        with all_clients_scope(), transaction.atomic():
            created = [
                _create(actor=actor, person=person, reachable=reachable) for person in people
            ]
            record(
                action="people.imported",
                actor=actor,
                object_type="user",
                payload={"count": len(created), "user_ids": [user.pk for user in created]},
            )
    except _LineRefused as refusal:
        return ImportResult(errors=[str(refusal)], lines=lines)
    return ImportResult(created=created, lines=lines)


class _LineRefused(Exception):
    """A line of the import that cannot be created: the whole import is undone."""


def _create(*, actor: User, person: Person, reachable: set[int]) -> User:
    try:
        user = identity.create_user(
            actor=actor, email=person.email, full_name=person.full_name, role=person.role
        )
        agent = services.create_agent(
            actor=actor,
            user=user,
            site=person.site,
            skills=person.skills,
            languages=person.languages,
            capacity=person.capacity,
        )
        for client in person.clients:
            identity.grant_client_access(
                actor=actor,
                user=user,
                client=client,
                reason="imported",
                expires_at=person.grant_expires_at,
            )
        if person.team is not None:
            services.add_to_team(actor=actor, team=person.team, agent=agent)
    except DomainError as error:
        raise _LineRefused(f"Line {person.line}: {error.message}") from error
    return user


def _checked(text: str, *, reachable: set[int]) -> tuple[list[Person], list[str], int]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or not any(cell.strip() for cell in rows[0]):
        return [], ["The file is empty: line 1 must name the columns."], 0
    header = [cell.strip().lower().replace(" ", "_") for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name and name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown columns: {', '.join(unknown)}")
        return [], [f"Line 1: {'; '.join(problems)}."], 0
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    if len(body) > MAX_LINES:
        return [], [f"The file has {len(body)} people; import at most {MAX_LINES} at once."], 0
    lookups = _Lookups.load(reachable)
    people: list[Person] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, row in body:
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        try:
            person = _person(number, values, lookups)
        except InvalidInput as error:
            errors.append(f"Line {number}: {error.message}")
            continue
        if person.email in seen:
            errors.append(f"Line {number}: {person.email} is also on line {seen[person.email]}.")
            continue
        seen[person.email] = number
        people.append(person)
    return people, errors, len(body)


@dataclass
class _Lookups:
    sites: dict[str, Site]
    teams: dict[str, Team]
    clients: dict[str, Client]
    taken: set[str]

    @classmethod
    def load(cls, reachable: set[int]) -> "_Lookups":
        with all_clients_scope():
            taken = {email.lower() for email in User.objects.values_list("email", flat=True)}
        return cls(
            sites={site.name.lower(): site for site in Site.objects.all()},
            teams={team.name.lower(): team for team in Team.objects.all()},
            clients={
                client.legal_name.lower(): client
                for client in Client.objects.filter(pk__in=reachable)
            },
            taken=taken,
        )


def _person(number: int, values: dict[str, str], lookups: _Lookups) -> Person:
    email = values["email"].lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(f"'{values['email']}' is not an e-mail address.") from error
    if email in lookups.taken:
        raise InvalidInput(f"{email} already has an account.")
    if not values["full_name"]:
        raise InvalidInput("the full name is empty.")
    site = lookups.sites.get(values["site"].lower())
    if site is None or not site.is_active:
        raise InvalidInput(f"there is no open site called '{values['site']}'.")
    return Person(
        line=number,
        email=email,
        full_name=values["full_name"][:200],
        role=_role(values.get("role", "")),
        site=site,
        skills=_pairs(values.get("skills", ""), what="skill", top=5),
        languages=_languages(values.get("languages", "")),
        capacity=_capacity(values.get("capacity", "")),
        clients=_clients(values.get("clients", ""), lookups),
        grant_expires_at=_expiry(values.get("grant_expires", "")),
        team=_team(values.get("team", ""), lookups),
    )


def _role(text: str) -> str:
    if not text:
        return Role.AGENT
    wanted = text.strip().lower().replace(" ", "_")
    if wanted not in IMPORTABLE_ROLES:
        names = ", ".join(IMPORTABLE_ROLES.values())
        raise InvalidInput(f"'{text}' is not a role that can be imported ({names}).")
    return wanted


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", text) if part.strip()]


def _pairs(text: str, *, what: str, top: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _split(text):
        match = _PAIR.match(part.lower())
        if not match or not SKILL_NAME.match(match.group(1)):
            raise InvalidInput(f"'{part}' is not a {what} written as name:number.")
        level = int(match.group(2))
        if not 1 <= level <= top:
            raise InvalidInput(f"{what} '{match.group(1)}' must be from 1 to {top}, not {level}.")
        found[match.group(1)] = level
    return found


def _languages(text: str) -> list[str]:
    codes = [code.lower() for code in _split(text)]
    wrong = [code for code in codes if not re.fullmatch(r"[a-z]{2}", code)]
    if wrong:
        raise InvalidInput(f"not two-letter language codes: {', '.join(wrong)}.")
    return codes


def _capacity(text: str) -> dict[str, int] | None:
    if not text.strip():
        return None
    found: dict[str, int] = {}
    for part in _split(text):
        match = _PAIR.match(part.lower())
        if not match or match.group(1) not in CHANNELS:
            channels = ", ".join(CHANNELS)
            raise InvalidInput(f"'{part}' is not a channel:number (channels: {channels}).")
        found[match.group(1)] = int(match.group(2))
    return found


def _clients(text: str, lookups: _Lookups) -> list[Client]:
    found = []
    for name in _split(text):
        client = lookups.clients.get(name.lower())
        if client is None:
            raise InvalidInput(f"there is no client called '{name}' that you can grant.")
        found.append(client)
    return found


def _expiry(text: str) -> datetime | None:
    """The grant's last day, as a date: it ends at the start of the day after (UTC)."""
    if not text:
        return None
    try:
        last_day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(f"'{text}' is not a date written as YYYY-MM-DD.") from error
    ends = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)
    if ends <= datetime.now(UTC):
        raise InvalidInput(f"the grants would end on {text}, which has passed.")
    return ends


def _team(text: str, lookups: _Lookups) -> Team | None:
    if not text:
        return None
    team = lookups.teams.get(text.lower())
    if team is None:
        raise InvalidInput(f"there is no team called '{text}'.")
    return team
