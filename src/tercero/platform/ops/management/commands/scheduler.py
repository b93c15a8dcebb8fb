from django.core.management.base import BaseCommand

from tercero.platform.ops.scheduler import run_forever


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (safe to run several at once)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")

    def handle(self, *args, **options):
        self.stdout.write(f"Scheduler ticking every {options['interval']} s.")
        run_forever(interval_seconds=options["interval"])
