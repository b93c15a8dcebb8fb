"""History import from CSV: what is read, and every bad row named by its line."""

from datetime import datetime
from zoneinfo import ZoneInfo

from tercero.delivery.planning.history_csv import HistoryRow, RowError, parse

LONDON = ZoneInfo("Europe/London")


def messages(data: bytes, **options) -> list[tuple[int, str]]:
    parsed = parse(data, time_zone="Europe/London", step_minutes=30, **options)
    return [(error.line, error.message) for error in parsed.errors]


def test_rows_are_read_as_local_times_with_optional_handle_seconds():
    # given a UTF-8 file with a byte-order mark, semicolons and one offset given
    data = (
        "\ufeffinterval_start;arrivals;handle_seconds\n"
        "2026-07-01T09:00;12;240.5\n"
        "2026-07-01T09:30+00:00;7;\n"
    ).encode()
    # when
    parsed = parse(data, time_zone="Europe/London", step_minutes=30)
    # then
    assert parsed.errors == ()
    assert parsed.rows == (
        HistoryRow(datetime(2026, 7, 1, 9, 0, tzinfo=LONDON), 12, 240.5),
        HistoryRow(datetime(2026, 7, 1, 10, 30, tzinfo=LONDON), 7, None),
    )


def test_every_bad_row_is_named_with_its_line():
    data = (
        b"interval_start,arrivals,handle_seconds\n"
        b"2026-07-01T09:00,12,200\n"
        b"yesterday,3,\n"
        b"2026-07-01T09:10,3,\n"
        b"2026-07-01T10:00,-1,\n"
        b"2026-07-01T10:30,2.5,\n"
        b"2026-07-01T11:00,4,0\n"
        b"2026-07-01T09:00,5,\n"
    )
    assert messages(data) == [
        (3, "interval_start 'yesterday' is not a date and time such as 2026-03-02T09:30."),
        (
            4,
            "interval_start 2026-07-01T09:10 is not on the 30-minute grid "
            "(intervals start at :00, :30).",
        ),
        (5, "arrivals '-1' must be a whole number, 0 or more."),
        (6, "arrivals '2.5' must be a whole number, 0 or more."),
        (7, "handle_seconds '0' must be more than 0."),
        (8, "The same interval is already on line 2."),
    ]


def test_times_the_clocks_skip_or_repeat_are_errors_unless_an_offset_says_which():
    data = (
        b"interval_start,arrivals\n"
        b"2026-03-29T01:30,1\n"
        b"2026-10-25T01:30,1\n"
        b"2026-10-25T01:30+01:00,1\n"
        b"2026-10-25T01:30+00:00,1\n"
    )
    found = messages(data)
    assert [line for line, _ in found] == [2, 3]
    assert "does not exist in Europe/London" in found[0][1]
    assert "happens twice in Europe/London" in found[1][1]


def test_a_file_that_is_not_a_csv_is_one_error_on_line_1():
    assert messages(b"\x89PNG\r\n\x1a\n\x00\x00binary") == [
        (1, "The file is not UTF-8 text; save it as a UTF-8 CSV file.")
    ]
    assert messages(b"just,some,words\n1,2,3\n")[0][0] == 1
    assert parse(b"", time_zone="UTC", step_minutes=15).errors == (
        RowError(1, "The file is empty; the first line must name the columns."),
    )


def test_a_file_over_the_row_limit_is_refused_at_the_first_row_past_it():
    data = b"interval_start,arrivals\n" + b"".join(
        f"2026-07-01T{hour:02d}:00,1\n".encode() for hour in range(5)
    )
    assert messages(data, max_rows=3) == [(5, "The file has more than 3 rows; split it.")]
