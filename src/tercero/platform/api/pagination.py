"""Cursor pagination for every list endpoint: stable under inserts, ordered by id.

Usage on a list operation (returning a queryset already filtered by the caller's scope):

    @router.get("", response=list[ThingOut])
    @paginate_by_cursor
    def list_things(request, filters: Query[ThingFilters]): ...

The response is {"previous": url|null, "next": url|null, "results": [...]}; the query
takes `cursor` and `page_size` (at most 200).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination, paginate
from pydantic import ValidationError as ModelValidationError

from tercero.platform.errors import InvalidInput

ID_DIGITS = 18  # every id below 10**18 fits a bigint on every engine


class IdCursorPagination(CursorPagination):
    """django-ninja's cursor pagination over ids; a cursor it did not make (not base64,
    a position that is not an id, a bad offset or direction) is a 422 naming `cursor`."""

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: CursorPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> Any:
        try:
            cursor = self.Cursor.from_encoded_param(pagination.cursor)
        except (ValidationError, ModelValidationError):
            raise _not_ours() from None
        position = "0" if cursor.p is None else cursor.p
        if not (position.isascii() and position.isdigit() and len(position) <= ID_DIGITS):
            raise _not_ours()
        return super().paginate_queryset(queryset, pagination, request, **params)


def _not_ours() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API gave; follow `next` or `previous`.",
        fields={"cursor": "not a cursor from this API"},
    )


paginate_by_cursor = paginate(IdCursorPagination, ordering=("id",), page_size=50, max_page_size=200)
