"""One error shape for every 4xx (and a 500 under /api/): {"error": {"code", "message",
"fields"}}."""

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tercero.platform.errors import DomainError

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "throttled",
    500: "server_error",
}


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, Any]


class ErrorOut(Schema):
    """Every error answer's body."""

    error: ErrorBody


def refusal(message: str, *, code: str, **report: Any) -> dict[str, Any]:
    """A 422 body that refuses rows: the error, beside the report naming each bad row."""
    return {"error": {"code": code, "message": message, "fields": {}}, **report}


def error_response(
    status: int, message: str, *, code: str = "", fields: dict[str, Any] | None = None
) -> JsonResponse:
    body: dict[str, dict[str, Any]] = {
        "error": {"code": code or _CODES.get(status, "error"), "message": message}
    }
    body["error"]["fields"] = fields or {}
    return JsonResponse(body, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers with ours."""
    _handle(api, DomainError, _domain_error)
    _handle(api, ValidationError, _validation_error)
    _handle(api, AuthenticationError, _unauthenticated)
    _handle(api, HttpError, _http_error)
    _handle(api, Http404, _not_found)
    _handle(api, ObjectDoesNotExist, _not_found)
    _handle(api, RequestDataTooBig, _too_big)
    _handle(api, DataError, _bad_data)


def _handle[E: Exception](
    api: NinjaAPI, error: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # django-ninja types a handler's argument as `E | type[E]`; it is always given the error
    api.add_exception_handler(error, handler)  # type: ignore[arg-type]


def _domain_error(request: HttpRequest, exc: DomainError) -> JsonResponse:
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _validation_error(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        fields[".".join(location) or "body"] = error.get("msg", "invalid")
    return error_response(422, "The request is not valid.", fields=fields)


def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    return error_response(401, "Sign in or send a valid API token.")


def _http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc.__cause__, DomainError):  # our parser's refusal, wrapped by ninja
        return _domain_error(request, exc.__cause__)
    return error_response(exc.status_code, str(exc))


def _not_found(request: HttpRequest, exc: Exception) -> JsonResponse:
    return error_response(404, "Not found.")


def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> JsonResponse:
    return error_response(413, "The request body is too large.")


def _bad_data(request: HttpRequest, exc: DataError) -> JsonResponse:
    """Values the database cannot store (e.g. NUL characters on PostgreSQL)."""
    return error_response(422, "A value contains characters or a size that cannot be stored.")


@csrf_exempt  # reads no body and changes nothing: a JSON 404 whatever the method
def json_404_view(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/v1 answer in the API's error shape."""
    return error_response(404, "No such API endpoint.")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler400 (e.g. a malformed form upload): the error shape under /api/."""
    if request.path.startswith("/api/"):
        return error_response(400, "The request cannot be read.")
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: under /api/ the error shape (still a 500, and logged with
    its traceback as every 500 is), elsewhere the 500 page."""
    if request.path.startswith("/api/"):
        return error_response(500, "Something went wrong on our side; it has been logged.")
    return defaults.server_error(request)


def is_json_error(response: HttpResponse) -> bool:
    try:
        return "error" in json.loads(response.content)
    except ValueError:
        return False
