"""Adherence through the doors a lead uses: a training session laid over a shift, the
real-time board, Adherence by day with its CSV, and the API, on a day worked by hand
(the issue's 6-hour shift: 3 hours in, 1 out, 2 neutral -> 75 %)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import time_machine

from tercero.delivery.scheduling import services
from tercero.delivery.scheduling.models import Schedule, ScheduledShift
from tercero.delivery.scheduling.tests.factories import site_with_template
from tercero.delivery.workforce.services import create_agent, set_presence
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 11, 30)


def at(hour: float) -> datetime:
    return datetime.combine(DAY, time(0), tzinfo=LONDON) + timedelta(hours=hour)


def _published_shift(tenant) -> ScheduledShift:
    """A published 6-hour shift, 09:00 to 15:00 London time, with no breaks."""
    site = site_with_template(
        tenant.team_lead,
        name="Leeds",
        city="Leeds",
        country="GB",
        time_zone="Europe/London",
        minutes=360,
    )
    agent = create_agent(actor=None, user=tenant.agent, site=site)
    schedule = services.start_build(
        actor=tenant.team_lead, name="Week", sites=[site], first_day=DAY, days=1
    )
    shift = ScheduledShift.objects.create(
        schedule=schedule, agent=agent, template="Day", start_at=at(9), end_at=at(15)
    )
    Schedule.objects.filter(pk=schedule.pk).update(status=Schedule.Status.READY)
    schedule.refresh_from_db()
    services.publish(actor=tenant.team_lead, schedule=schedule)
    return shift


def _presence(shift: ScheduledShift, *changes: tuple[float, str]) -> None:
    for hour, state in changes:
        with time_machine.travel(at(hour), tick=False):
            set_presence(agent=shift.agent, presence=state)


def _add_training(client, shift: ScheduledShift) -> None:
    """The lead lays training over 13:00 to 15:00 on the shift's page."""
    client.post(
        f"/schedules/shifts/{shift.pk}/",
        {
            "form": "activity",
            "activity-kind": "training",
            "activity-start": "2026-11-30T13:00",
            "activity-hours": "2",
            "activity-version": shift.version,
        },
    )


def _worked_day(client, tenant) -> ScheduledShift:
    # given a 6-hour shift with training 13:00-15:00 laid over it by the lead
    shift = _published_shift(tenant)
    client.force_login(tenant.team_lead)
    _add_training(client, shift)
    # and the agent available 09:00-12:00, then offline (out 12-13, neutral 13-15)
    _presence(shift, (9, "available"), (12, "offline"))
    return shift


def test_a_lead_lays_training_over_a_shift_and_it_is_audited(client, tenant_a):
    shift = _published_shift(tenant_a)
    client.force_login(tenant_a.team_lead)
    _add_training(client, shift)
    shift.refresh_from_db()
    assert shift.activities == [[at(13).isoformat(), at(15).isoformat(), "training"]]
    page = client.get(f"/schedules/shifts/{shift.pk}/").content.decode()
    assert "Training: Mon 30 Nov 13:00 to 15:00 (GMT)" in page
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="shift.activity_added").count() == 1


def test_training_outside_the_shift_is_refused_and_nothing_is_stored(client, tenant_a):
    shift = _published_shift(tenant_a)
    client.force_login(tenant_a.team_lead)
    response = client.post(
        f"/schedules/shifts/{shift.pk}/",
        {
            "form": "activity",
            "activity-kind": "training",
            "activity-start": "2026-11-30T14:00",
            "activity-hours": "2",
            "activity-version": shift.version,
        },
        follow=True,
    )
    assert "An activity lies within its shift." in response.content.decode()
    shift.refresh_from_db()
    assert shift.activities == []


def test_the_api_gives_the_hand_worked_day_as_75_percent(client, tenant_a):
    shift = _worked_day(client, tenant_a)
    # when the lead asks the API after the shift
    with time_machine.travel(at(16), tick=False):
        rows = client.get("/api/v1/schedules/adherence?day=2026-11-30").json()
    # then 6 hours scheduled, 2 neutral, 3 in, 1 out: 3 / (6 - 2) = 75 %
    assert rows == [
        {
            "agent_id": shift.agent_id,
            "day": "2026-11-30",
            "time_zone": "Europe/London",
            "scheduled_seconds": 21600.0,
            "neutral_seconds": 7200.0,
            "in_seconds": 10800.0,
            "out_seconds": 3600.0,
            "percent": 75.0,
        }
    ]


def test_adherence_by_day_shows_and_exports_the_hand_worked_day(client, tenant_a):
    shift = _worked_day(client, tenant_a)
    name = shift.agent.user.full_name or shift.agent.user.email
    with time_machine.travel(at(16), tick=False):
        page = client.get("/schedules/adherence/?day=2026-11-30").content.decode()
        exported = client.get("/schedules/adherence/?day=2026-11-30&format=csv")
    assert "Monday 30 November 2026" in page
    assert "6.0 hours" in page
    assert "75.0 %" in page
    assert exported["Content-Disposition"] == 'attachment; filename="adherence-2026-11-30.csv"'
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[1:] == [
        [
            *[str(shift.agent_id), name, "2026-11-30", "Europe/London"],
            *["21600", "7200", "10800", "3600", "75.0"],
        ]
    ]


def test_the_board_shows_the_agent_out_of_adherence_while_offline_at_work(client, tenant_a):
    shift = _worked_day(client, tenant_a)
    name = shift.agent.user.full_name or shift.agent.user.email
    # when the lead opens the board at 12:30, half an hour into the agent's absence
    with time_machine.travel(at(12.5), tick=False):
        page = client.get("/schedules/adherence/now/").content.decode()
    # then the agent is working by the schedule, offline, out since 12:00, at 3 / 3.5 = 85.7 %
    assert "1 agent scheduled today; 1 out of adherence now." in page
    assert _row(page, name) == [
        name,
        "Leeds",
        "Working",
        "Offline",
        "Out of adherence",
        "12:00 (GMT)",
        "85.7 %",
    ]


def test_the_board_shows_training_as_neutral_and_earlier_work_in_adherence(client, tenant_a):
    shift = _worked_day(client, tenant_a)
    name = shift.agent.user.full_name or shift.agent.user.email
    with time_machine.travel(at(10), tick=False):
        morning = client.get("/schedules/adherence/now/").content.decode()
    with time_machine.travel(at(14), tick=False):
        client.logout()  # four hours idle end a session: the lead signs in again
        client.force_login(tenant_a.team_lead)
        training = client.get("/schedules/adherence/now/").content.decode()
    assert _row(morning, name)[2:5] == ["Working", "Offline", "In adherence"]
    assert _row(morning, name)[-1] == "100.0 %"
    assert _row(training, name)[2:5] == ["In training", "Offline", "Neutral time"]
    assert _row(training, name)[-1] == "75.0 %"


def test_the_board_lists_an_agent_whose_shift_has_not_started(client, tenant_a):
    shift = _published_shift(tenant_a)
    name = shift.agent.user.full_name or shift.agent.user.email
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(at(7), tick=False):
        page = client.get("/schedules/adherence/now/").content.decode()
    assert _row(page, name)[2:] == [
        "Off shift",
        "Offline",
        "Off shift",
        _since(shift),
        "Not started",
    ]


def _since(shift: ScheduledShift) -> str:
    local = shift.agent.presence_since.astimezone(LONDON)
    return f"{local:%H:%M} ({local.tzname()})"


class _Cells(HTMLParser):
    """A page's table rows as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _row(page: str, name: str) -> list[str]:
    """The board's cells, as text, of the row that starts with the agent's name."""
    parser = _Cells()
    parser.feed(page)
    return next(row for row in parser.rows if row and row[0] == name)
