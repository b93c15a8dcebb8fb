"""`tercero billing`: close a month of billing from the command line.

tercero billing close --month 2026-11 [--client ID]
    meters the month's productive hours and FTE, then drafts the month's invoices of
    every active client (or of one) from its rated usage, replacing drafts, never
    touching an issued invoice, and prints one line per client saying what it did. A
    client refused (a month already issued, no tax rate for its country) is named with
    the reason and the others go on; the command then exits with status 1.
"""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.governance.billing import invoices, productive
from tercero.platform.errors import DomainError
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.web.money import format_money


class Command(BaseCommand):
    help = "Billing: close a month (draft every client's invoices from its usage)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser(
            "close",
            help="draft the month's invoices from the rated usage",
            description="Draft the month's invoices of every active client, or of one.",
        )
        close.add_argument("--month", required=True, help="the month, YYYY-MM")
        close.add_argument("--client", type=int, help="one client's id")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            month = datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
        except ValueError as error:
            raise CommandError("--month is YYYY-MM, such as 2026-11.") from error
        with all_clients_scope():
            clients = Client.objects.order_by("id")
            if options["client"] is not None:
                clients = clients.filter(pk=options["client"])
                if not clients.exists():
                    raise CommandError(f"There is no client {options['client']}.")
            else:
                clients = clients.filter(status=Client.Status.ACTIVE)
            refused = sum(not self._close(client, month) for client in clients)
        if refused:
            raise CommandError(f"{refused} client(s) not closed for {month:%B %Y}; see above.")

    def _close(self, client: Client, month) -> bool:
        # the month's productive hours and FTE first: each ended day and a month that
        # has ended are metered once (a day already metered writes nothing)
        productive.meter_month(client=client, period=month)
        try:
            drafted = invoices.draft_invoices(actor=None, client_id=client.pk, period=month)
        except DomainError as error:
            self.stdout.write(f"{client.legal_name} (#{client.pk}): not closed. {error.message}")
            return False
        if not drafted:
            self.stdout.write(f"{client.legal_name} (#{client.pk}): nothing to invoice.")
        for invoice in drafted:
            self.stdout.write(
                f"{client.legal_name} (#{client.pk}): draft invoice #{invoice.pk} for "
                f"{month:%B %Y}, {invoice.lines.count()} lines, net "
                f"{format_money(invoice.subtotal_minor, invoice.currency)}, tax "
                f"{format_money(invoice.tax_minor, invoice.currency)}, total "
                f"{format_money(invoice.total_minor, invoice.currency)}."
            )
        return True
