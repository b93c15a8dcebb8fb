"""Cursor pagination for every list endpoint: stable under inserts, ordered by id.

Usage on a list operation (returning a queryset already filtered by the caller's scope):

    @router.get("", response=list[ThingOut])
    @paginate_by_cursor
    def list_things(request, filters: Query[ThingFilters]): ...

The response is {"previous": url|null, "next": url|null, "results": [...]}; the query
takes `cursor` and `page_size` (at most 200).
"""

from ninja.pagination import CursorPagination, paginate

paginate_by_cursor = paginate(CursorPagination, ordering=("id",), page_size=50, max_page_size=200)
