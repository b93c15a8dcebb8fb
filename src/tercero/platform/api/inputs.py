"""What every door accepts, on every engine: JSON nested at most MAX_DEPTH levels, and
text without NUL characters (PostgreSQL cannot store U+0000 in text or jsonb, SQLite
can: refusing it here makes one rule for both, before anything is stored).

`read_json` serves every JSON body (the API's parser, the chat widget, phone-system
events); `JsonParser` is the API's parser; `FormTextMiddleware` guards the pages' forms.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from ninja import Field
from ninja.parser import Parser

from tercero.platform.errors import DomainError, InvalidInput

MAX_DEPTH = 32
NUL = "\x00"
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
HAS_NUL = "contains a NUL character"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def read_json(raw: bytes | str) -> Any:
    """The parsed body: a 400 when it is not JSON, a 422 naming the field when it is
    nested too deep or holds a NUL character."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise InvalidInput("The JSON is nested too deeply.", fields={"body": TOO_DEEP}) from None
    except (ValueError, UnicodeDecodeError):
        raise DomainError(
            "The body is not JSON.", code="not_json", fields={"body": "not JSON"}
        ) from None
    check_storable(data)
    return data


def check_storable(data: object) -> None:
    """Refuse values nested deeper than MAX_DEPTH or text holding a NUL character; the
    error names the field by its dotted path (`body` when there is none)."""
    pending: list[tuple[str, object, int]] = [("", data, 0)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                _refuse(path, HAS_NUL)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise InvalidInput("The JSON is nested too deeply.", fields={"body": TOO_DEEP})
        pairs: Iterable[tuple[object, object]] = (
            value.items() if isinstance(value, dict) else enumerate(value)
        )
        for key, inner in pairs:
            if isinstance(key, str) and NUL in key:
                _refuse(path, HAS_NUL)
            pending.append((f"{path}.{key}" if path else str(key), inner, depth + 1))


def _refuse(path: str, problem: str) -> NoReturn:
    raise InvalidInput(
        "Text may not contain NUL characters.",
        code="nul_character",
        fields={path or "body": problem},
    )


class JsonParser(Parser):
    """django-ninja's parser with our limits on JSON bodies and form fields."""

    def parse_body(self, request: HttpRequest) -> Any:
        return read_json(request.body)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        name = field_with_nul(data)
        if name is not None:
            _refuse(name, HAS_NUL)
        return super().parse_querydict(data, list_fields, request)


class FormTextMiddleware:
    """Pages: a form field holding a NUL character is a 422 before any view runs.

    Checked where Django's CSRF check reads the form too (unsafe methods on views that
    are not CSRF-exempt); exempt views read their own bodies (the API, the chat widget).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method not in UNSAFE_METHODS or getattr(view, "csrf_exempt", False):
            return None
        name = field_with_nul(request.POST)
        if name is None:
            return None
        message = f"The field '{name}' contains a NUL character, which cannot be stored."
        return render(request, "422.html", {"message": message}, status=422)


def field_with_nul(data: QueryDict | MultiValueDict[str, Any]) -> str | None:
    """The first form field whose name or text value holds a NUL character (uploaded
    files are not text fields: their readers check them)."""
    for name, values in data.lists():
        if NUL in name or any(isinstance(value, str) and NUL in value for value in values):
            return name.replace(NUL, "\\0")
    return None


def patch_field(**constraints: Any) -> Any:
    """A field a PATCH body may leave out but not send as null: absent, it is unset (read
    with `exclude_unset`); null fails its type's check, a 422 naming it. Typed Any so the
    schema's annotation stays the field's own type, not `T | None`."""
    return Field(default=None, **constraints)
