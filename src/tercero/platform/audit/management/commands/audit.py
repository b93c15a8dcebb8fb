"""`tercero audit verify|checkpoint|public-key`: the keyed, checkpointed audit chain.

tercero audit verify [--checkpoints PATH]
    walk the chain with the chain keys and against every signed checkpoint in the
    checkpoint file (or a copy someone holds); name the first broken event
tercero audit checkpoint
    sign the chain's head (and each client's latest event) now, as the periodic job does
tercero audit public-key
    the public keys that verify checkpoint signatures, as `id base64url(32 bytes)`
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tercero.platform.audit import checkpoints, keys, services
from tercero.platform.audit.verify import CheckpointFileError, load_checkpoints, verify_chain


class Command(BaseCommand):
    help = "Audit trail tools: verify the chain, sign a checkpoint, show the public key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="Check every event's sequence, link, digest and keyed hash."
        )
        verify.add_argument(
            "--checkpoints",
            dest="checkpoint_file",
            type=Path,
            help="A checkpoint file to check against (default: the configured one).",
        )
        sub.add_parser("checkpoint", help="Sign and append a checkpoint of the chain now.")
        sub.add_parser("public-key", help="Print the keys that verify checkpoint signatures.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _verify(self, *, checkpoint_file: Path | None = None, **_: Any) -> None:
        path = checkpoint_file or checkpoints.file_path()
        if checkpoint_file and not checkpoint_file.exists():
            raise CommandError(f"No checkpoint file at {checkpoint_file}.")
        try:
            pins = load_checkpoints(path)
        except CheckpointFileError as error:
            raise CommandError(f"Checkpoint file {path} not trusted: {error}.") from error
        report = verify_chain(pins=pins)
        if not report.is_intact:
            raise CommandError(
                f"Audit chain broken at sequence {report.first_broken_sequence}: "
                f"{report.problem} ({report.checked} events verified before it)."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
        if report.checkpoints:
            self.stdout.write(f"Checked against {report.checkpoints} signed checkpoints in {path}.")
        else:
            self.stdout.write(
                f"No signed checkpoint in {path} yet: deleting the newest events would not show."
            )

    def _checkpoint(self, **_: Any) -> None:
        signed = services.write_checkpoints(now=timezone.now())
        if not signed:
            self.stdout.write("The audit chain is empty: nothing to sign.")
            return
        clients = len(signed) - 1
        self.stdout.write(
            f"Checkpoint of sequence {signed[0].sequence} signed with key "
            f"{signed[0].signing_key_id}, and {clients} client checkpoints; "
            f"appended to {checkpoints.file_path()}."
        )

    def _public_key(self, **_: Any) -> None:
        for key_id, public_key in keys.public_keys().items():
            self.stdout.write(f"{key_id} {keys.public_key_text(public_key)}")
