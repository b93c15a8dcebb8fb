from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run a background task worker (django-tasks-db's `db_worker`; run as many as you "
        "like: claims are exclusive). Ctrl-C or SIGTERM stops it after the current task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--queue-name", default="default", help="comma-separated, or *")

    def handle(self, *args, **options):
        call_command(
            "db_worker",
            interval=options["interval"],
            queue_name=options["queue_name"],
            reload=False,
        )
