"""One error shape for every 4xx (and a 500 under /api/): {"error": {"code", "message",
"fields"}}."""

import json
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import DataError
from django.http import Http404, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import Schema
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


def refusal(message: str, *, code: str, **report) -> dict:
    """A 422 body that refuses rows: the error, beside the report naming each bad row."""
    return {"error": {"code": code, "message": message, "fields": {}}, **report}


def error_response(status: int, message: str, *, code: str = "", fields=None) -> JsonResponse:
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message}}
    body["error"]["fields"] = fields or {}
    return JsonResponse(body, status=status)


def install_error_handlers(api) -> None:
    """Replace django-ninja's default handlers with ours."""
    api.add_exception_handler(DomainError, _domain_error)
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(ObjectDoesNotExist, _not_found)
    api.add_exception_handler(RequestDataTooBig, _too_big)
    api.add_exception_handler(DataError, _bad_data)


def _domain_error(request, exc: DomainError):
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _validation_error(request, exc: ValidationError):
    fields: dict[str, str] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        fields[".".join(location) or "body"] = error.get("msg", "invalid")
    return error_response(422, "The request is not valid.", fields=fields)


def _unauthenticated(request, exc):
    return error_response(401, "Sign in or send a valid API token.")


def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, DomainError):  # our parser's refusal, wrapped by ninja
        return _domain_error(request, exc.__cause__)
    return error_response(exc.status_code, str(exc))


def _not_found(request, exc):
    return error_response(404, "Not found.")


def _too_big(request, exc):
    return error_response(413, "The request body is too large.")


def _bad_data(request, exc):
    """Values the database cannot store (e.g. NUL characters on PostgreSQL)."""
    return error_response(422, "A value contains characters or a size that cannot be stored.")


@csrf_exempt  # reads no body and changes nothing: a JSON 404 whatever the method
def json_404_view(request, rest: str = ""):
    """Unknown paths under /api/v1 answer in the API's error shape."""
    return error_response(404, "No such API endpoint.")


def bad_request(request, exception):
    """Django's handler400 (e.g. a malformed form upload): the error shape under /api/."""
    if request.path.startswith("/api/"):
        return error_response(400, "The request cannot be read.")
    return defaults.bad_request(request, exception)


def server_error(request):
    """Django's handler500: under /api/ the error shape (still a 500, and logged with
    its traceback as every 500 is), elsewhere the 500 page."""
    if request.path.startswith("/api/"):
        return error_response(500, "Something went wrong on our side; it has been logged.")
    return defaults.server_error(request)


def is_json_error(response) -> bool:
    try:
        return "error" in json.loads(response.content)
    except ValueError:
        return False
