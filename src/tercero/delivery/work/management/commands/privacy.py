"""`tercero privacy`: retention, data-subject requests and client off-boarding.

tercero privacy retention --client ID --days N     keep finished work N days (0: forever)
tercero privacy purge [--client ID]                purge what retention says is due
tercero privacy export --client ID --subject VALUE [--out FILE]
tercero privacy erase --client ID --subject VALUE
tercero privacy offboard --client ID --archive FILE.zip
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tercero.delivery.work import privacy
from tercero.platform.errors import DomainError
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope


class Command(BaseCommand):
    help = "Privacy life cycle: retention, subject export and erasure, off-boarding."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        retention = sub.add_parser("retention", help="Set how long finished work is kept.")
        retention.add_argument("--client", type=int, required=True)
        retention.add_argument("--days", type=int, required=True)
        purge = sub.add_parser("purge", help="Purge finished work past its retention.")
        purge.add_argument("--client", type=int)
        for name in ("export", "erase"):
            command = sub.add_parser(name, help=f"{name.capitalize()} one person's data.")
            command.add_argument("--client", type=int, required=True)
            command.add_argument("--subject", required=True, help="name, e-mail or id on record")
            if name == "export":
                command.add_argument("--out", type=Path)
        offboard = sub.add_parser("offboard", help="Archive a client's data, then shred its keys.")
        offboard.add_argument("--client", type=int, required=True)
        offboard.add_argument("--archive", type=Path, required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        clients = [options["client"]] if options.get("client") else None
        options = {k: v for k, v in options.items() if k != "client"}
        if clients is None:
            clients = list(Client.objects.values_list("pk", flat=True))
        for client_id in clients:
            client = Client.objects.filter(pk=client_id).first()
            if client is None:
                raise CommandError(f"No client with id {client_id}.")
            with client_scope(clients=[client_id]):
                try:
                    getattr(self, f"_{action}")(client, **options)
                except DomainError as error:
                    raise CommandError(error.message) from error

    def _retention(self, client: Client, *, days: int | None, **_: Any) -> None:
        privacy.set_retention(actor=None, client_id=client.pk, days=days or None)
        kept = f"{days} days" if days else "forever"
        self.stdout.write(f"{client.legal_name}: finished work keeps personal data {kept}")

    def _purge(self, client: Client, **_: Any) -> None:
        purged = privacy.purge_expired(client_id=client.pk, now=timezone.now())
        self.stdout.write(f"{client.legal_name}: {purged} items purged")

    def _export(self, client: Client, *, subject: str, out: Path | None = None, **_: Any) -> None:
        document = privacy.export_subject(actor=None, client_id=client.pk, value=subject)
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        if out:
            out.write_text(text)
            self.stdout.write(f"{len(document['items'])} items written to {out}")
        else:
            sys.stdout.write(text + "\n")

    def _erase(self, client: Client, *, subject: str, **_: Any) -> None:
        erased = privacy.erase_subject(actor=None, client_id=client.pk, value=subject)
        self.stdout.write(f"{client.legal_name}: personal data erased from {erased} items")

    def _offboard(self, client: Client, *, archive: Path, **_: Any) -> None:
        count = privacy.offboard(actor=None, client=client, archive=archive)
        self.stdout.write(
            f"{client.legal_name}: {count} items archived to {archive}; keys shredded"
        )
