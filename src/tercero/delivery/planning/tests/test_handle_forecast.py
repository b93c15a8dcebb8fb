"""Handle time is forecast the same way as arrivals, and its accuracy is kept and shown:
a weekly pattern of handle time (Mondays 300 s, other days 240 s) is forecast exactly by
"same time last week", so its WAPE on the held-out week is 0 %."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tercero.delivery.planning import services
from tercero.delivery.planning.models import ForecastRun
from tercero.delivery.planning.tests.factories import NOW, planning_queue
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.django_db


def _weekly_handle_csv(time_zone: str, *, days: int = 21) -> bytes:
    last = NOW.astimezone(ZoneInfo(time_zone)).date()
    lines = ["interval_start,arrivals,handle_seconds"]
    for back in range(days, 0, -1):
        day = last - timedelta(days=back)
        handle = 300 if day.weekday() == 0 else 240
        for half_hour in range(18, 34):
            at = f"{half_hour // 2:02d}:{30 * (half_hour % 2):02d}"
            lines.append(f"{day.isoformat()} {at},{10 + half_hour % 3},{handle}")
    return ("\n".join(lines) + "\n").encode()


def _forecast(queue, actor) -> ForecastRun:
    with client_scope(clients=[queue.client_id]):
        services.import_history(
            actor=actor,
            queue=queue,
            data=_weekly_handle_csv(queue.client.time_zone),
            step_minutes=30,
        )
        run = services.start_forecast(actor=actor, queue=queue, step_minutes=30, horizon_days=7)
    return services.run_forecast(run_id=run.pk, now=NOW)


def test_the_handle_time_forecast_and_its_accuracy_are_kept_and_shown(client, tenant_a):
    # given three weeks of history where Monday calls take 300 s and others 240 s
    queue = planning_queue(tenant_a.client)
    run = _forecast(queue, tenant_a.team_lead)
    client.force_login(tenant_a.team_lead)

    # when the lead reads the forecast
    body = client.get(f"/api/v1/planning/forecasts/{run.pk}").json()
    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()

    # then the handle time's own model and accuracy are kept beside the arrivals'
    assert body["handle_model"]
    assert body["handle_wape"] == pytest.approx(0, abs=1e-9)
    assert body["handle_accuracy"]["seasonal_naive"]["wape"] == pytest.approx(0, abs=1e-9)
    # and the forecast's next Monday takes 300 s, its Tuesday 240 s, in open hours
    zone = ZoneInfo(queue.client.time_zone)
    by_day: dict[int, set[float]] = {}
    for row in body["intervals"]:
        local = _local(row["start"], zone)
        if 9 <= local.hour < 17:
            by_day.setdefault(local.weekday(), set()).add(round(row["handle_seconds"]))
    assert by_day[0] == {300}
    assert by_day[1] == {240}
    # and the page shows both the handle-time accuracy and the forecast handle time
    assert "Handle time WAPE" in page
    assert "used for handle time" in page
    assert "Handle time</dt><dd>Same time last week: WAPE 0.0 %" in page
    assert "300 s" in page


def test_without_handle_time_the_page_says_a_plan_asks_for_one(client, tenant_a):
    queue = planning_queue(tenant_a.client)
    with client_scope(clients=[queue.client_id]):
        csv = _weekly_handle_csv(queue.client.time_zone).decode().splitlines()
        without = "\n".join(line.rsplit(",", 1)[0] for line in csv)  # no handle column
        services.import_history(
            actor=tenant_a.team_lead, queue=queue, data=without.encode(), step_minutes=30
        )
        run = services.start_forecast(
            actor=tenant_a.team_lead, queue=queue, step_minutes=30, horizon_days=2
        )
    run = services.run_forecast(run_id=run.pk, now=NOW)
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/planning/forecasts/{run.pk}/").content.decode()
    assert run.handle_model == ""
    assert "the history holds no handle time" in page


def _local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
