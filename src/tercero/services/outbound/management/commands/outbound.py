"""`tercero outbound ...`: outbound calling from the command line.

tercero outbound why-not --number +16025550100 [--postal-code 85001] --at 2027-03-14T15:30:00Z
    --pack us [--attempts T1,T2] [--dnc US-NDNC] [--mobile | --landline] [--automated]
    May the number be called at that moment? Prints one JSON object: callable, the
    reasons (rule, source, detail), next_callable_at (UTC and local) and the zones checked.
"""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tercero.services.outbound.compliance import History, LeadFacts, as_json, load, why_not
from tercero.services.outbound.compliance import zones as zone_rules
from tercero.services.outbound.compliance.packs import PackError


class Command(BaseCommand):
    help = "Outbound calling: why-not says whether a number may be called now, why not, and when."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        why = sub.add_parser(
            "why-not", help="whether a number may be called at a moment, and why not"
        )
        why.add_argument("--number", required=True, help="E.164, e.g. +16025550100")
        why.add_argument("--pack", required=True, help="rule pack: us, gb, au")
        why.add_argument("--at", help="ISO 8601 time with its zone (default: now)")
        why.add_argument("--postal-code", help="the lead's ZIP or postcode")
        why.add_argument("--country", help="the postal code's country (default: the number's)")
        why.add_argument("--region", help="the lead's state, e.g. FL")
        why.add_argument(
            "--attempts", default="", help="past attempts to the lead, comma-separated"
        )
        why.add_argument(
            "--number-attempts", default="", help="other leads' attempts to the number"
        )
        why.add_argument(
            "--dnc", default="", help="do-not-call lists holding the number: US-NDNC,client"
        )
        why.add_argument("--consent", default="", help="consent scopes on record: calls,automated")
        kind = why.add_mutually_exclusive_group()
        kind.add_argument("--mobile", action="store_const", const=True, dest="is_mobile")
        kind.add_argument("--landline", action="store_const", const=False, dest="is_mobile")
        why.add_argument("--automated", action="store_true", help="dialled by a machine")

    def handle(self, *args, action: str, **options) -> None:
        if action == "why-not":
            self._why_not(**options)

    def _why_not(self, *, number: str, pack: str, at: str | None, **options) -> None:
        try:
            rule_pack = load(pack)
            is_mobile = options["is_mobile"]
            if is_mobile is None:
                is_mobile = zone_rules.is_mobile(number)
            lead = LeadFacts(
                number=number,
                postal_code=options["postal_code"],
                country=(options["country"] or "").upper() or None,
                region=options["region"],
                is_mobile=is_mobile,
                consent_scopes=frozenset(_items(options["consent"])),
                on_dnc=tuple(_items(options["dnc"])),
            )
            history = History(
                attempts=_moments(options["attempts"], "--attempts"),
                number_attempts=_moments(options["number_attempts"], "--number-attempts"),
            )
            moment = _moment(at, "--at") if at else timezone.now()
            verdict = why_not(lead, history, moment, rule_pack, automated=options["automated"])
        except (PackError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(as_json(verdict)))


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _moments(text: str, option: str) -> tuple[datetime, ...]:
    return tuple(_moment(item, option) for item in _items(text))


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(
            f"{option}: {text!r} is not an ISO 8601 time such as 2027-03-14T15:30:00Z"
        ) from error
    if moment.tzinfo is None:
        raise ValueError(
            f"{option}: {text!r} has no time zone; add Z for UTC, e.g. 2027-03-14T15:30:00Z"
        )
    return moment
