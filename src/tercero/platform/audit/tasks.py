"""Background work for the audit chain."""

from django.tasks import task
from django.utils import timezone

from tercero.platform.audit import services

# How often the scheduler signs a checkpoint: at most this much of the newest trail can
# be cut off without `tercero audit verify` noticing.
CHECKPOINT_EVERY_SECONDS = 600


@task
def write_checkpoints() -> int:
    """Sign and append checkpoints of the chain's head and clients' latest events."""
    return len(services.write_checkpoints(now=timezone.now()))
