import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tercero.platform.ops.scheduler import jobs, run_forever


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (safe to run several at once, on any engine)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")

    def handle(self, *args: Any, **options: Any) -> None:
        stop_requested = []

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop_requested.append(signum)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        names = ", ".join(f"{job.name} every {job.every_seconds} s" for job in jobs())
        self.stdout.write(f"Scheduler ticking every {options['interval']} s: {names}.")
        run_forever(interval_seconds=options["interval"], should_stop=lambda: bool(stop_requested))
        self.stdout.write("Scheduler stopped.")
