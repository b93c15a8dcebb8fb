from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.platform.ops.database import grant_app_role


class Command(BaseCommand):
    help = "PostgreSQL roles. `grant --role NAME`: give the application role its rights."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        grant = sub.add_parser("grant", help="create/grant the role the app connects as")
        grant.add_argument("--role", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            grant_app_role(role=options["role"])
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Granted application rights to {options['role']}.")
