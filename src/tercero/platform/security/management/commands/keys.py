"""`tercero keys status|rotate|retire`: the data-key life cycle.

tercero keys rotate [--client ID ...] [--wait]
    new active data key per client; the re-encryption runs in the background
    (or here, with --wait); old keys stay readable meanwhile
tercero keys status
    per client: key versions, their state, and how many values each still seals
tercero keys retire [--client ID ...]
    erase old keys that no value uses any more
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.platform.errors import DomainError
from tercero.platform.security import services, tasks
from tercero.platform.security.models import DataKey
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import client_scope


class Command(BaseCommand):
    help = "Data keys: rotate, show status, retire old keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("rotate", "New data keys; re-encrypt in the background."),
            ("status", "Key versions and values per version."),
            ("retire", "Erase old keys no value uses."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--client", type=int, action="append", dest="clients")
            if name == "rotate":
                command.add_argument(
                    "--wait", action="store_true", help="Re-encrypt now instead of by a worker."
                )

    def handle(
        self,
        *args: Any,
        action: str,
        clients: list[int] | None = None,
        wait: bool = False,
        **options: Any,
    ) -> None:
        ids = clients or list(
            Client.objects.exclude(status=Client.Status.OFFBOARDED).values_list("pk", flat=True)
        )
        unknown = set(ids) - set(Client.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if unknown:
            raise CommandError(f"No client with id {', '.join(map(str, sorted(unknown)))}.")
        for client_id in sorted(ids):
            with client_scope(clients=[client_id]):
                try:
                    getattr(self, f"_{action}")(client_id, wait=wait)
                except DomainError as error:
                    raise CommandError(f"client {client_id}: {error.message}") from error

    def _rotate(self, client_id: int, *, wait: bool) -> None:
        key = services.rotate_keys(actor=None, client_id=client_id)
        if wait:
            moved = services.reencrypt(client_id=client_id)
            self.stdout.write(f"client {client_id}: key v{key.version} active, {moved} re-sealed")
        else:
            tasks.reencrypt_client.enqueue(client_id)
            self.stdout.write(
                f"client {client_id}: key v{key.version} active, re-encryption queued"
            )

    def _status(self, client_id: int, **_: Any) -> None:
        counts = services.values_by_version(client_id=client_id)
        for key in DataKey.objects.filter(client_id=client_id, purpose=DataKey.Purpose.DATA):
            self.stdout.write(
                f"client {client_id}: v{key.version} {key.state} "
                f"(master {key.master_id or '-'}), {counts.get(key.version, 0)} values"
            )

    def _retire(self, client_id: int, **_: Any) -> None:
        retired = services.retire_keys(actor=None, client_id=client_id)
        versions = ", ".join(f"v{v}" for v in retired) or "nothing to retire"
        self.stdout.write(f"client {client_id}: {versions}")
