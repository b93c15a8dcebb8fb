"""Tercero's settings, with webhooks let through to loopback: the outbox soak's receiver
listens on 127.0.0.1 in the bench process (`bench/outbox_soak.py`)."""

from tercero.config.settings import *  # noqa: F403

TERCERO_WEBHOOKS_ALLOW_PRIVATE = True
