"""Outbound call requests to the phone system (a PBX or a cloud contact-centre platform).

When the dialler places a call it POSTs one signed JSON request to the CTI line of the
campaign's engagement:

    POST <line url>
    Content-Type: application/json
    Tercero-Signature: t=<unix time>,v1=<hex HMAC-SHA-256 of "<t>.<body>" with the secret>
    {"request_id": "att-42", "call_ref": "att-42", "campaign_id": 7, "attempt_id": 42,
     "to": "+16025550100", "caller_id": "+16025550199", "agent_id": 12 | null,
     "mode": "preview" | "progressive" | "predictive",
     "events_url": "https://<us>/api/v1/outbound/cti/<line>/events"}

The signature is the scheme of the engine's webhooks and of the inbound CTI webhook
(`delivery.work.webhooks.sign`): the receiver recomputes it with the shared secret and
refuses a stale timestamp (over 5 minutes). The phone system answers 2xx when it has
taken the call; it reports what happened by posting call events back (cti_in.py), signed
the same way with the same secret, with `call_id` = our `call_ref`.

Lines are configured per engagement (or one "default" line) in the setting or environment
variable OUTBOUND_CTI_LINES, JSON: {"default": {"url": "https://pbx.example/calls",
"secret": "..."}, "<engagement id>": {...}}. With no line the dialler keeps the attempt
and its request for the loopback simulator (pbx_sim.Loopback) -- tests and the demo.
"""

import json
import os
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from tercero.delivery.work import webhooks

TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Line:
    key: str  # "default" or an engagement id
    url: str
    secret: str


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The `Tercero-Signature` header for `body`."""
    return webhooks.sign(secret, int(time.time()) if timestamp is None else timestamp, body)


def verify(secret: str, header: str, body: bytes) -> bool:
    """True when `header` signs `body` with `secret` within the last 5 minutes."""
    return bool(secret and header) and webhooks.verify_signature(secret, header, body)


def lines() -> dict[str, Line]:
    raw = getattr(settings, "OUTBOUND_CTI_LINES", None) or os.environ.get("OUTBOUND_CTI_LINES")
    config = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
    found = {}
    for key, value in dict(config).items():
        if isinstance(value, dict) and value.get("secret"):
            found[str(key)] = Line(str(key), str(value.get("url") or ""), str(value["secret"]))
    return found


def line_for(engagement_id: int) -> Line | None:
    configured = lines()
    return configured.get(str(engagement_id)) or configured.get("default")


def line_named(key: str) -> Line | None:
    return lines().get(key)


def call_request(*, attempt, to: str, agent_id: int | None, events_url: str) -> dict:
    campaign = attempt.campaign
    return {
        "request_id": attempt.call_ref,
        "call_ref": attempt.call_ref,
        "campaign_id": campaign.pk,
        "attempt_id": attempt.pk,
        "to": to,
        "caller_id": campaign.caller_id,
        "agent_id": agent_id,
        "mode": campaign.mode,
        "events_url": events_url,
    }


Poster = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
        return int(answer.status)


def send(line: Line, request: dict, *, post: Poster | None = None) -> int:
    """POST the signed request; the HTTP status (0 when the line could not be reached)."""
    body = json.dumps(request, separators=(",", ":")).encode()
    try:
        return (post or http_post)(line.url, body, {"Tercero-Signature": sign(line.secret, body)})
    except OSError:
        return 0
