"""`tercero planning`: workforce planning's maths from the command line, so anyone can check it.

tercero planning staffing --model erlang_c|erlang_a|erlang_b --calls 100 --interval-minutes 30
    --aht-seconds 180 --target 0.8 --answer-seconds 20 [--patience-seconds 300]
    [--shrinkage 0.3] [--max-occupancy 0.85]

prints the agents needed as JSON. For Erlang B, --target is the share of calls allowed to
be blocked (0.01 for 1 %).
"""

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.delivery.planning.staffing import MODELS, staff


class Command(BaseCommand):
    help = "Workforce planning maths: staffing for one interval."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        staffing = sub.add_parser(
            "staffing",
            help="agents needed for one interval (Erlang C, A or B), as JSON",
            description="Agents needed for one interval, printed as JSON.",
        )
        staffing.add_argument("--model", choices=MODELS, required=True)
        staffing.add_argument("--calls", type=float, required=True, help="calls in the interval")
        staffing.add_argument("--interval-minutes", type=int, required=True)
        staffing.add_argument("--aht-seconds", type=float, required=True, help="mean handle time")
        staffing.add_argument(
            "--target",
            type=float,
            required=True,
            help="share answered in time (0.8); for erlang_b the share blocked (0.01)",
        )
        staffing.add_argument("--answer-seconds", type=float, default=0.0)
        staffing.add_argument("--patience-seconds", type=float, help="mean patience (Erlang A)")
        staffing.add_argument("--shrinkage", type=float, default=0.0, help="share off the phones")
        staffing.add_argument("--max-occupancy", type=float, help="occupancy cap, such as 0.85")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "staffing":
            self._staffing(**options)

    def _staffing(self, **options: Any) -> None:
        model = options["model"]
        if model == "erlang_a" and options["patience_seconds"] is None:
            raise CommandError("Erlang A needs --patience-seconds (the callers' mean patience).")
        if model != "erlang_a" and options["patience_seconds"] is not None:
            raise CommandError("--patience-seconds applies to Erlang A only (--model erlang_a).")
        try:
            result = staff(
                model,
                calls=options["calls"],
                interval_minutes=options["interval_minutes"],
                aht_seconds=options["aht_seconds"],
                target=options["target"],
                answer_seconds=options["answer_seconds"],
                patience_seconds=options["patience_seconds"],
                shrinkage=options["shrinkage"],
                max_occupancy=options["max_occupancy"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        answer: dict[str, float | int | None] = {
            "model": model,
            "agents": result.agents,
            "agents_raw": round(result.agents_raw, 4),
            "service_level": round(result.service_level, 6),
            "asa_seconds": _finite(result.asa_seconds),
            "occupancy": round(result.occupancy, 6),
        }
        if model == "erlang_a":
            answer["abandon_rate"] = round(result.abandon_rate or 0.0, 6)
        self.stdout.write(json.dumps(answer))


def _finite(value: float) -> float | None:
    """JSON has no infinity: an unbounded wait is null."""
    return round(value, 3) if math.isfinite(value) else None
