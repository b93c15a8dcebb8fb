"""`tercero work`: the work engine from the command line, for operators and scripts.

tercero work queues [--client ID]
tercero work items [--queue ID] [--status queued ...] [--sla-state breached] [--csv]
tercero work import FILE --queue ID [--dry-run] [--partial] [--as EMAIL]
tercero work next --agent EMAIL
tercero work stats --queue ID
tercero work sweep | consume | send-webhooks
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tercero.delivery.work import csv_import, outbox, selectors, services, webhooks
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.workforce.models import Agent
from tercero.platform.errors import DomainError
from tercero.platform.identity.models import User
from tercero.platform.identity.selectors import reachable_client_ids
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


class Command(BaseCommand):
    help = "Queues, work items, routing and the engine's periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        queues = sub.add_parser("queues", help="list queues")
        queues.add_argument("--client", type=int)
        items = sub.add_parser("items", help="list work items")
        items.add_argument("--queue", type=int)
        items.add_argument("--status", nargs="*")
        items.add_argument("--sla-state", choices=["none", "on_track", "at_risk", "breached"])
        items.add_argument("--limit", type=int, default=50)
        items.add_argument("--csv", action="store_true", help="every match as CSV on stdout")
        imp = sub.add_parser("import", help="import items from a CSV file")
        imp.add_argument("file", type=Path)
        imp.add_argument("--queue", type=int, required=True)
        imp.add_argument("--dry-run", action="store_true")
        imp.add_argument("--partial", action="store_true", help="import the good rows anyway")
        imp.add_argument("--as", dest="as_user", help="record this user as the creator")
        nxt = sub.add_parser("next", help="claim the next item for an agent")
        nxt.add_argument("--agent", required=True, help="the agent's e-mail")
        stats = sub.add_parser("stats", help="queue statistics")
        stats.add_argument("--queue", type=int, required=True)
        sub.add_parser("sweep", help="raise due SLA alerts now")
        sub.add_parser("consume", help="run the outbox consumers once")
        sub.add_parser("send-webhooks", help="send due webhook deliveries now")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as error:
            raise CommandError(f"{error.message} {error.fields or ''}".strip()) from error

    def _queues(self, client: int | None = None, **_: Any) -> None:
        with all_clients_scope():
            found = Queue.objects.select_related("engagement").order_by("client_id", "id")
            if client:
                found = found.filter(client_id=client)
            for queue in found:
                self.stdout.write(
                    f"{queue.pk:>6}  client {queue.client_id:<4} {queue.engagement.name[:30]:<30}"
                    f"  {queue.name[:30]:<30} {queue.routing:<6} {','.join(queue.work_types)}"
                )

    def _items(
        self,
        queue: int | None = None,
        status: list[str] | None = None,
        sla_state: str | None = None,
        limit: int = 50,
        csv: bool = False,
        **_: Any,
    ) -> None:
        with all_clients_scope():
            ids = list(WorkItem.objects.values_list("client_id", flat=True).distinct())
            found = selectors.items(
                client_ids=ids, queue_id=queue, status=status, sla_state=sla_state
            ).order_by("id")
            if csv:
                csv_import.export(found, self.stdout)
                return
            for item in found[:limit]:
                due = f"{item.due_at:%Y-%m-%d %H:%M}" if item.due_at else "no due time"
                self.stdout.write(
                    f"{item.pk:>8}  P{item.priority} {item.status:<16} {due:<16} {item.title}"
                )

    def _import(
        self,
        file: Path,
        queue: int,
        dry_run: bool = False,
        partial: bool = False,
        as_user: str | None = None,
        **_: Any,
    ) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with all_clients_scope():
            actor = User.objects.filter(email=as_user.lower()).first() if as_user else None
            target = Queue.objects.select_related("engagement").filter(pk=queue).first()
        if as_user and actor is None:
            raise CommandError(f"No user {as_user}.")
        if target is None:
            raise CommandError(f"No queue {queue}.")
        upload = SimpleUploadedFile(file.name, file.read_bytes(), content_type="text/csv")
        with client_scope(clients=[target.client_id]):
            report = csv_import.import_items(
                actor=actor,
                queue=target,
                upload=upload,
                all_or_nothing=not partial,
                dry_run=dry_run,
            )
        self.stdout.write(json.dumps(report, indent=2, default=str))
        if report["errors"]:
            sys.exit(1)

    def _next(self, agent: str, **_: Any) -> None:
        with all_clients_scope():  # people are found across clients
            found = (
                Agent.objects.select_related("user", "site")
                .filter(user__email=agent.lower())
                .first()
            )
        if found is None:
            raise CommandError(f"No agent {agent}.")
        item = services.get_next(agent=found, client_ids=reachable_client_ids(user=found.user))
        if item is None:
            self.stdout.write("Nothing to do.")
            return
        self.stdout.write(f"Claimed #{item.pk} {item.title} (P{item.priority}, due {item.due_at})")

    def _stats(self, queue: int, **_: Any) -> None:
        with all_clients_scope():
            target = Queue.objects.filter(pk=queue).first()
            if target is None:
                raise CommandError(f"No queue {queue}.")
            self.stdout.write(json.dumps(selectors.queue_stats(queue=target), indent=2))

    def _sweep(self, **_: Any) -> None:
        self.stdout.write(json.dumps(services.sweep()))

    def _consume(self, **_: Any) -> None:
        self.stdout.write(json.dumps(outbox.consume_all()))

    def _send_webhooks(self, **_: Any) -> None:
        self.stdout.write(json.dumps(webhooks.send_due()))
