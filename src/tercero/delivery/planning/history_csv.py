"""Read a new engagement's arrival history from CSV, naming every bad row.

Columns: `interval_start` (ISO date-time; local wall-clock time in the engagement's zone
unless it carries an offset), `arrivals` (whole number, 0 or more) and, optionally,
`handle_seconds` (more than 0). UTF-8 with or without a byte-order mark, commas or
semicolons. A wall-clock time that happens twice (clocks going back) or never (clocks
going forward) is an error: only an offset says which instant was meant. The caller
imports nothing when any error is found, so all of them are returned at once.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

REQUIRED = ("interval_start", "arrivals")
OPTIONAL = ("handle_seconds",)


@dataclass(frozen=True)
class HistoryRow:
    start: datetime
    arrivals: int
    handle_seconds: float | None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class ParsedHistory:
    rows: tuple[HistoryRow, ...]
    errors: tuple[RowError, ...]


class _BadValue(ValueError):
    """A cell that cannot be read; its message is shown to the person importing."""


def parse(
    data: bytes, *, time_zone: str, step_minutes: int, max_rows: int = 200_000
) -> ParsedHistory:
    """Rows and every error, by line number (the header is line 1)."""
    text = _text(data)
    if text is None:
        return _refused("The file is not UTF-8 text; save it as a UTF-8 CSV file.")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return _refused("The file is empty; the first line must name the columns.")
    reader = csv.reader(lines, delimiter=_delimiter(lines[0]))
    header = [name.strip().lower() for name in next(reader)]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return _refused(
            "The first line must name the columns interval_start and arrivals "
            "(handle_seconds is optional); missing: " + ", ".join(missing) + "."
        )
    return _rows(reader, header, ZoneInfo(time_zone), step_minutes, max_rows)


def _rows(
    reader: Iterator[list[str]], header: list[str], zone: ZoneInfo, step_minutes: int, max_rows: int
) -> ParsedHistory:
    rows: list[HistoryRow] = []
    errors: list[RowError] = []
    seen: dict[datetime, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) + len(errors) >= max_rows:
            errors.append(RowError(line, f"The file has more than {max_rows:,} rows; split it."))
            break
        try:
            row = _row(dict(zip(header, cells, strict=False)), zone, step_minutes)
        except _BadValue as problem:
            errors.append(RowError(line, str(problem)))
            continue
        instant = row.start.astimezone(UTC)
        if instant in seen:
            errors.append(RowError(line, f"The same interval is already on line {seen[instant]}."))
            continue
        seen[instant] = line
        rows.append(row)
    return ParsedHistory(rows=tuple(rows), errors=tuple(errors))


def _row(cells: dict[str, str], zone: ZoneInfo, step_minutes: int) -> HistoryRow:
    start = _start(cells.get("interval_start", "").strip(), zone, step_minutes)
    arrivals = _arrivals(cells.get("arrivals", "").strip())
    handle = cells.get("handle_seconds", "").strip()
    return HistoryRow(
        start=start, arrivals=arrivals, handle_seconds=_handle(handle) if handle else None
    )


def _start(value: str, zone: ZoneInfo, step_minutes: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadValue(
            f"interval_start '{value}' is not a date and time such as 2026-03-02T09:30."
        ) from None
    local = moment.astimezone(zone) if moment.tzinfo else _local(moment, zone)
    if (local.hour * 60 + local.minute) % step_minutes or local.second or local.microsecond:
        raise _BadValue(
            f"interval_start {value} is not on the {step_minutes}-minute grid "
            f"(intervals start at :00{', :30' if step_minutes == 30 else ', :15, :30, :45'})."
        )
    return local


def _local(naive: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock time in the zone; refused when it happens twice or never."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        there_and_back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if there_and_back != naive:
            raise _BadValue(
                f"interval_start {naive.isoformat()} does not exist in {zone.key}: the clocks "
                "went forward over it."
            )
        raise _BadValue(
            f"interval_start {naive.isoformat()} happens twice in {zone.key} (the clocks went "
            "back); add the offset, e.g. +01:00 or +00:00, to say which."
        )
    return first


def _arrivals(value: str) -> int:
    if not value.isdigit():
        raise _BadValue(f"arrivals '{value}' must be a whole number, 0 or more.")
    return int(value)


def _handle(value: str) -> float:
    try:
        seconds = float(value.replace(",", "."))
    except ValueError:
        raise _BadValue(f"handle_seconds '{value}' must be a number of seconds.") from None
    if not seconds > 0 or seconds == float("inf"):
        raise _BadValue(f"handle_seconds '{value}' must be more than 0.")
    return seconds


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def _refused(message: str) -> ParsedHistory:
    return ParsedHistory(rows=(), errors=(RowError(1, message),))
