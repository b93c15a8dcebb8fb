"""`Idempotency-Key` on API POSTs: the first response is stored and replayed.

The record is inserted in the same transaction as the work, so a crash or a 5xx leaves
no record and the client may retry. A concurrent repeat blocks on the unique key until
the first commits, then replays it. The same key with a different request is a 422.
"""

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from tercero.platform.api.errors import error_response
from tercero.platform.api.inputs import HAS_NUL, NUL
from tercero.platform.api.models import IdempotencyRecord
from tercero.platform.security import crypto

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


BODY_CONTEXT = "idempotency"


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or not _applies(request, key):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return error_response(422, f"{HEADER} is longer than {MAX_KEY_LENGTH} characters.")
        if NUL in key:
            return error_response(
                422, f"{HEADER} contains a NUL character.", fields={HEADER: HAS_NUL}
            )
        try:
            digest = _request_digest(request)
        except RequestDataTooBig:
            return error_response(413, "The request body is too large.")
        try:
            return self._first_or_replay(request, key, digest)
        except _ServerError as failed:
            return failed.response

    def _first_or_replay(self, request: HttpRequest, key: str, digest: str) -> HttpResponseBase:
        user = cast("User", request.user)  # `_applies` lets only signed-in people here
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        request_digest=digest,
                        status_code=0,
                        content_type="",
                        body=b"",
                    )
            except IntegrityError:
                return _replay(IdempotencyRecord.objects.get(user=user, key=key), digest)
            response = self.get_response(request)
            if response.status_code >= 500 or not isinstance(response, HttpResponse):  # streamed
                raise _ServerError(response)
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            # sealed at rest: a first answer may carry a secret shown once (a token, a code)
            record.body = crypto.seal_bytes(response.content, context=BODY_CONTEXT)
            record.save(update_fields=["status_code", "content_type", "body"])
            return response


class _ServerError(Exception):
    """Rolls the work and the record back together."""

    def __init__(self, response: HttpResponseBase) -> None:
        super().__init__()
        self.response = response


def _applies(request: HttpRequest, key: str | None) -> bool:
    return bool(
        key
        and request.method == "POST"
        and request.path.startswith("/api/")
        and request.user.is_authenticated
    )


def _request_digest(request: HttpRequest) -> str:
    seed = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        seed.update(part.encode() + b"\0")
    seed.update(request.body)
    return seed.hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> HttpResponse:
    if record.request_digest != digest:
        return error_response(
            422,
            f"This {HEADER} was used for a different request.",
            code="idempotency_key_reused",
        )
    body = bytes(record.body)
    if body.startswith(crypto.BYTES_PREFIX):
        body = crypto.open_bytes(body, context=BODY_CONTEXT)
    response = HttpResponse(body, status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


# --- receipts of services that take an idempotency key themselves (batch intake) -------


def record_receipt(*, user: "User", key: str, digest: str, body: bytes) -> None:
    """Store what a keyed call did, in the caller's transaction. A repeat of the key
    raises IntegrityError (`is_repeat`): the first call's receipt stands."""
    IdempotencyRecord.objects.create(
        user=user,
        key=key,
        request_digest=digest,
        status_code=200,
        content_type="application/json",
        body=crypto.seal_bytes(body, context=BODY_CONTEXT),
    )


def receipt(*, user: "User", key: str) -> tuple[str, bytes] | None:
    """(digest, body) of the receipt stored under `key` for `user`, or None."""
    found = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if found is None:
        return None
    return found.request_digest, crypto.open_bytes(bytes(found.body), context=BODY_CONTEXT)


def is_repeat(error: IntegrityError) -> bool:
    """Whether an IntegrityError is a second record of one (user, key)."""
    text = str(error)
    return "idempotency_unique_user_key" in text or "api_idempotencyrecord" in text
