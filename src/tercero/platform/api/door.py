"""The API's one door: django-ninja with our parser, our error handlers, and an OpenAPI
document that lists, for every operation, the error answers it can give.

Which errors an operation can answer follows from its shape (see `error_statuses`);
an operation states any other status (a 503, a 401 without sign-in) itself, and a
status it states itself keeps its own schema.
"""

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.operation import Operation

from tercero.platform.api.errors import ErrorOut, install_error_handlers
from tercero.platform.api.inputs import JsonParser

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CARRIES_A_BODY = frozenset({"body", "form", "file"})

DESCRIPTIONS = {
    400: "The request cannot be read (malformed JSON, a NUL character in the URL).",
    401: "No valid API token or session.",
    403: "The caller's role or token scopes do not allow this.",
    404: "No such object, or it belongs to a client the caller cannot see.",
    409: "The object changed since it was read, or its state does not allow this.",
    413: "The request body is too large.",
    422: "The input is not valid: `fields` names each bad field.",
}


def error_statuses(operation: Operation) -> list[int]:
    """The error statuses `operation` can answer, from its auth, method and parameters."""
    sources = {model.__ninja_param_source__ for model in operation.models}
    methods = set(operation.methods)
    statuses = [400]
    if operation.auth_callbacks:
        statuses += [401, 403]
    if sources:
        statuses.append(404)
    if methods & UNSAFE_METHODS:
        statuses.append(409)
    if sources & CARRIES_A_BODY or "POST" in methods:  # POSTs read it for Idempotency-Key
        statuses.append(413)
    if sources or "POST" in methods:
        statuses.append(422)
    return statuses


class DocumentedErrors(OpenAPISchema):
    def responses(self, operation: Operation) -> dict[int, dict[str, Any]]:
        result = super().responses(operation)
        error = self._error_schema()
        for status in error_statuses(operation):
            result.setdefault(
                status,
                {
                    "description": DESCRIPTIONS[status],
                    "content": {self.api.renderer.media_type: {"schema": error}},
                },
            )
        return dict(sorted(result.items()))

    def _error_schema(self) -> dict[str, str]:
        schema = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE, mode="serialization")
        self.add_schema_definitions({**schema.pop("$defs", {}), ErrorOut.__name__: schema})
        return {"$ref": REF_TEMPLATE.format(model=ErrorOut.__name__)}


class TerceroApi(NinjaAPI):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parser=JsonParser(), **kwargs)
        install_error_handlers(self)
        self._documents: dict[tuple[str, int], OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The OpenAPI document, built once per process and prefix (building it walks every
        operation's models, a quarter of a second). Every router is mounted when the apps
        are ready (config/api.py and the services' ready()), before the first request; one
        mounted on the API later still gets a new document. Callers must not change it."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, len(self._routers))
        if key not in self._documents:
            self._documents[key] = DocumentedErrors(self, path_prefix)
        return self._documents[key]
