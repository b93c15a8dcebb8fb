"""A queue's arrival history: the engine's items counted in the client's intervals with
their mean handle time, imported history standing where both exist, holidays from the
engagement's calendar as special days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tercero.delivery.planning.history import arrival_history, special_days
from tercero.delivery.planning.tests.factories import imported, planning_queue
from tercero.delivery.work import demo
from tercero.delivery.work import services as work
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _arrive(queue, at: datetime, handle_seconds: int = 0) -> None:
    item = work.create_item(
        actor=None,
        queue=queue,
        work_type="capture.document",
        payload={"document_ref": "D", "fields_total": 1},
    )
    demo.set_history(item_id=item.pk, created_at=at, handle_seconds=handle_seconds)


def test_items_are_counted_in_the_clients_half_hours_with_their_mean_handle_time(tenant_b):
    # given three items of a Berlin client: two between 09:00 and 09:30 local, one at 10:05
    queue = planning_queue(tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        _arrive(queue, datetime(2026, 3, 2, 9, 1, tzinfo=BERLIN), handle_seconds=100)
        _arrive(queue, datetime(2026, 3, 2, 9, 29, tzinfo=BERLIN), handle_seconds=300)
        _arrive(queue, datetime(2026, 3, 2, 10, 5, tzinfo=BERLIN))

        # when the history is read up to 11:00
        found = arrival_history(
            queue=queue, step_minutes=30, until=datetime(2026, 3, 2, 11, 0, tzinfo=BERLIN)
        )

    # then it starts at 09:00 Berlin time, in half hours
    assert found.start == datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
    assert found.arrivals == (2.0, 0.0, 1.0, 0.0)
    # handled items give the mean; an interval with nothing handled has none
    assert found.handle_seconds == (200.0, None, None, None)


def test_imported_history_stands_where_the_engine_also_counted(tenant_b):
    queue = planning_queue(tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        # a Tuesday's history: 10 items from 09:00 to 09:30
        imported(queue, tenant_b.team_lead, days=1, end=datetime(2026, 3, 4, 12, tzinfo=UTC))
        _arrive(queue, datetime(2026, 3, 3, 9, 10, tzinfo=BERLIN))  # inside an imported interval
        found = arrival_history(
            queue=queue, step_minutes=30, until=datetime(2026, 3, 4, 0, 0, tzinfo=BERLIN)
        )
    nine = datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)
    index = int((nine.astimezone(UTC) - found.start.astimezone(UTC)) / timedelta(minutes=30))
    assert found.arrivals[index] == 10.0  # the file's figure, not 11
    assert found.handle_seconds[index] == 240
    assert found.imported_intervals == 16


def test_a_day_when_clocks_go_forward_has_46_half_hours(tenant_b):
    # given one item at each end of the last Sunday of March 2026 in Berlin
    queue = planning_queue(tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        _arrive(queue, datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN))
        found = arrival_history(
            queue=queue, step_minutes=30, until=datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)
        )
    assert len(found.arrivals) == 46
    assert found.end == datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)


def test_special_days_are_the_engagements_public_holidays_and_closures(tenant_b):
    queue = planning_queue(tenant_b.client, holiday_country="DE", closures=["2026-08-14"])
    with client_scope(clients=[tenant_b.client]):
        days = special_days(queue=queue, years=[2026])
    assert date(2026, 12, 25) in days  # Christmas Day
    assert date(2026, 10, 3) in days  # German Unity Day
    assert date(2026, 8, 14) in days
    assert date(2026, 8, 13) not in days
