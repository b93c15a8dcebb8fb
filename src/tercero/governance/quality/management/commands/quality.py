"""`tercero quality`: the sampling maths of quality assurance from the command line.

tercero quality sample --lot 2000 --aql 1.0 [--level II]
    prints the ISO 2859-1 single sampling plan (normal inspection) as one line of JSON:
    {"code": "K", "n": 125, "accept": 3, "reject": 4}

tercero quality size --confidence 0.95 --margin 0.05 --expected 0.9 [--population N]
    prints the number of items to evaluate (Wilson interval) on stdout, and one sentence
    explaining it on stderr.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.governance.quality import iso2859, sampling


class Command(BaseCommand):
    help = "Quality assurance maths: ISO 2859-1 sampling plans and evaluation sample sizes."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sample = sub.add_parser(
            "sample",
            help="the ISO 2859-1 single sampling plan for a lot, as JSON",
            description="ISO 2859-1 single sampling plan, normal inspection, printed as JSON.",
        )
        sample.add_argument("--lot", type=int, required=True, help="items in the lot (2 or more)")
        sample.add_argument("--aql", required=True, help="acceptance quality limit, such as 1.0")
        sample.add_argument("--level", default="II", choices=iso2859.LEVELS)
        size = sub.add_parser(
            "size",
            help="items to evaluate for a precision target (Wilson interval)",
            description="Items to evaluate so a share is known within the margin.",
        )
        size.add_argument("--confidence", type=float, required=True, help="such as 0.95")
        size.add_argument("--margin", type=float, required=True, help="+/- share, such as 0.05")
        size.add_argument("--expected", type=float, required=True, help="share, such as 0.9")
        size.add_argument("--population", type=int, help="items to sample from, when known")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "sample":
                self._sample(options["lot"], options["aql"], options["level"])
            else:
                self._size(
                    options["confidence"],
                    options["margin"],
                    options["expected"],
                    options["population"],
                )
        except ValueError as error:
            raise CommandError(str(error)) from error

    def _sample(self, lot: int, aql: str, level: str) -> None:
        chosen = iso2859.plan(lot, aql, level)
        self.stdout.write(json.dumps(chosen.as_json()))

    def _size(
        self, confidence: float, margin: float, expected: float, population: int | None
    ) -> None:
        needed = sampling.sample_size(
            confidence=confidence, margin=margin, expected=expected, population=population
        )
        self.stdout.write(str(needed))
        # A plain sentence, not an error: no red on a terminal.
        self.stderr.write(_explain(needed, confidence, margin, expected, population), str)


def _explain(
    needed: int, confidence: float, margin: float, expected: float, population: int | None
) -> str:
    """One plain sentence: what the number means and where it comes from."""
    out_of = "" if population is None else f" out of {population:,}"
    return (
        f"Evaluate {needed:,} items{out_of} to know a share near {_percent(expected)} "
        f"within +/-{_percent(margin)} at {_percent(confidence)} confidence "
        f"(Wilson score interval"
        + ("" if population is None else ", with the finite-population correction")
        + ")."
    )


def _percent(share: float) -> str:
    return f"{share * 100:g} %"
