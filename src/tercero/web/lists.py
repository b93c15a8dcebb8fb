"""Lists as operators expect them: search, filters, sorting, pagination and CSV export.

Domain-free: a page hands over a queryset and says which columns sort, which filters
apply and how to search; the listing reads the request's query string and gives back
one page of rows plus everything the shared templates need to draw the controls.

    listing = Listing(request, found, columns=[Column("title", "Title"), ...],
                      filters=[Filter("status", "Status", STATUS_CHOICES)],
                      search=lambda qs, q: qs.filter(title__icontains=q))
    if listing.wants_csv:
        return listing.csv_response("items.csv")
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, InvalidPage, Paginator
from django.http import HttpResponse

CSV_ROW_LIMIT = 100_000
PER_PAGE_CHOICES = (25, 50, 100)


def csv_cell(value) -> str:
    """One CSV cell; text a spreadsheet would run as a formula is quoted with '."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class Column:
    key: str  # the ORM path it sorts by; also where the CSV value comes from by default
    label: str
    sortable: bool = True
    value: Callable[[Any], object] | None = None  # the CSV value, when not the key

    def value_of(self, row) -> object:
        if self.value is not None:
            return self.value(row)
        for part in self.key.split("__"):
            row = getattr(row, part, None) if row is not None else None
        return row


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: tuple[tuple[str, str], ...]
    # how the chosen value narrows the queryset; default: an exact match on `name`
    apply: Callable[[Any, str], Any] | None = None

    def narrow(self, queryset, value: str):
        if self.apply is not None:
            return self.apply(queryset, value)
        return queryset.filter(**{self.name: value})


class Listing:
    def __init__(
        self,
        request,
        queryset,
        *,
        columns: Iterable[Column],
        filters: Iterable[Filter] = (),
        search: Callable[[Any, str], Any] | None = None,
        search_label: str = "Search",
        default_sort: str = "-id",
        per_page: int = 50,
        exportable: bool = True,
    ):
        # False: the viewer may not export this list; the page offers no Export CSV
        self.exportable = exportable
        self.columns = list(columns)
        self.filters = list(filters)
        self.searchable = search is not None
        self.search_label = search_label
        params = request.GET
        self.query = params.get("q", "").strip()[:200]
        found = queryset
        if self.query and search is not None:
            found = search(found, self.query)
        self.chosen: dict[str, str] = {}
        for item in self.filters:
            value = params.get(item.name, "")
            if value and value in {key for key, _ in item.choices}:
                self.chosen[item.name] = value
                found = item.narrow(found, value)
        sortable = {column.key for column in self.columns if column.sortable}
        requested = params.get("sort", "")
        self.sort = requested if requested.lstrip("-") in sortable else default_sort
        direction = "-" if self.sort.startswith("-") else ""
        self.queryset = found.order_by(self.sort, f"{direction}pk")
        try:
            self.per_page = int(params.get("per_page", per_page))
        except ValueError:
            self.per_page = per_page
        if self.per_page not in PER_PAGE_CHOICES:
            self.per_page = per_page
        self.wants_csv = params.get("format") == "csv"
        self._page_number = params.get("page", "1")
        self._params = params

    # --- one page ------------------------------------------------------------------

    @property
    def page(self):
        if not hasattr(self, "_page"):
            paginator = Paginator(self.queryset, self.per_page)
            try:
                self._page = paginator.page(self._page_number)
            except EmptyPage:  # past the end: the last page
                self._page = paginator.page(paginator.num_pages)
            except InvalidPage:  # not a page number at all: the first page
                self._page = paginator.page(1)
        return self._page

    @property
    def rows(self):
        return self.page.object_list

    # --- links the templates draw ----------------------------------------------------

    def url_with(self, **changes) -> str:
        """The current query string with `changes` applied (None removes a key)."""
        params = {key: value for key, value in self._params.items() if key != "format"}
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "?" + urlencode(params)

    def headers(self) -> list[dict]:
        out = []
        for column in self.columns:
            header = {"label": column.label, "sortable": column.sortable, "aria_sort": None}
            if column.sortable:
                ascending = self.sort == column.key
                descending = self.sort == f"-{column.key}"
                if ascending:
                    header["aria_sort"] = "ascending"
                elif descending:
                    header["aria_sort"] = "descending"
                next_sort = f"-{column.key}" if ascending else column.key
                header["url"] = self.url_with(sort=next_sort, page=None)
            out.append(header)
        return out

    def filter_controls(self) -> list[dict]:
        return [
            {
                "name": item.name,
                "label": item.label,
                "choices": item.choices,
                "chosen": self.chosen.get(item.name, ""),
            }
            for item in self.filters
        ]

    @property
    def csv_url(self) -> str:
        return self.url_with(format="csv", page=None)

    @property
    def previous_url(self) -> str | None:
        page = self.page
        return self.url_with(page=page.previous_page_number()) if page.has_previous() else None

    @property
    def next_url(self) -> str | None:
        page = self.page
        return self.url_with(page=page.next_page_number()) if page.has_next() else None

    # --- export ---------------------------------------------------------------------

    def csv_response(self, filename: str) -> HttpResponse:
        """Every filtered row (up to CSV_ROW_LIMIT) in the chosen order.

        Written inside the request (not streamed) so that the rows are read within the
        caller's client scope, which ends when the view returns."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        writer = csv.writer(response)
        writer.writerow([column.label for column in self.columns])
        for row in self.queryset[:CSV_ROW_LIMIT].iterator(chunk_size=2000):
            writer.writerow([csv_cell(column.value_of(row)) for column in self.columns])
        return response
