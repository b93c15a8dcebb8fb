import os
import socket

from django.tasks import task

from tercero.platform.ops.services import beat


@task
def heartbeat() -> None:
    """Run by a worker: proves that queued work gets done."""
    beat(process="worker", detail=f"{socket.gethostname()} pid {os.getpid()}")
