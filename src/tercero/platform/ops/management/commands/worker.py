import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from tercero.platform.ops.scheduler import run_forever


class Command(BaseCommand):
    help = (
        "Run a background task worker (django-tasks-db's `db_worker`; run as many as you "
        "like: claims are exclusive) with the periodic-job scheduler beside it (safe to run "
        "several). Ctrl-C or SIGTERM stops it after the current task."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--queue-name",
            default="*",
            help="the task queues to take (default, events, long), comma-separated, or * for all",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not run the scheduler in this process (e.g. it runs elsewhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        ticker = None
        if not options["no_scheduler"]:
            ticker = threading.Thread(target=_schedule, args=(stop,), daemon=True)
            ticker.start()
            self.stdout.write("Scheduler running beside the worker.")
        try:
            call_command(
                "db_worker",
                interval=options["interval"],
                queue_name=options["queue_name"],
                reload=False,
            )
        finally:
            stop.set()
            if ticker is not None:
                ticker.join(timeout=10)


def _schedule(stop: threading.Event) -> None:
    try:
        run_forever(interval_seconds=5.0, should_stop=stop.is_set)
    finally:
        connections.close_all()
