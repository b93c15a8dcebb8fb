"""`tercero audit verify`: walk the hash chain and name the first broken event."""

from django.core.management.base import BaseCommand, CommandError

from tercero.platform.audit.verify import verify_chain
from tercero.platform.tenancy.scoping import all_clients_scope


class Command(BaseCommand):
    help = "Audit trail tools. `verify` checks the whole hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every event's sequence, link, digest and hash.")

    def handle(self, *args, **options):
        with all_clients_scope():
            report = verify_chain()
        if not report.is_intact:
            raise CommandError(
                f"Audit chain broken at sequence {report.first_broken_sequence}: "
                f"{report.problem} ({report.checked} events verified before it)."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
