"""Care desk reports against figures worked out by hand on a fixed set of tickets."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from tests.factories import site

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import reporting
from tercero.services.care.models import Message, Survey

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 21, tzinfo=UTC)
MIN, HOUR = 60, 3600

# name, created, channel, engagement, agent, first response (s), resolution (s),
# reopens, replies, sla_met, status, survey score ("unanswered" = sent, no answer)
TICKETS = [
    ("T1", "11-02 09:00", "email", "E1", "X", 30 * MIN, 4 * HOUR, 0, 1, True, "resolved", 5),
    ("T2", "11-03 09:00", "email", "E1", "X", 60 * MIN, 10 * HOUR, 1, 2, False, "resolved", 2),
    ("T3", "11-04 09:00", "chat", "E1", "Y", 2 * MIN, 1 * HOUR, 0, 1, True, "resolved", 4),
    ("T4", "11-05 09:00", "chat", "E2", "Y", 5 * MIN, 2 * HOUR, 0, 3, True, "resolved", 5),
    ("T5", "11-06 09:00", "phone", "E2", "X", None, 3 * HOUR, 0, 0, None, "resolved", "unanswered"),
    ("T6", "11-07 09:00", "email", "E2", "Y", 120 * MIN, 48 * HOUR, 2, 1, False, "resolved", 3),
    ("T7", "11-08 09:00", "email", "E1", "X", 15 * MIN, None, 0, 1, None, "in_progress", None),
    ("T8", "11-19 10:00", "chat", "E1", "Y", 10 * MIN, None, 0, 1, None, "waiting_customer", None),
    ("T9", "11-20 06:00", "email", "E2", None, None, None, 0, 0, None, "queued", None),
    # outside the window: an old resolved one (not counted) and an old open one (backlog)
    ("T10", "10-30 09:00", "email", "E1", "X", 10 * MIN, 1 * HOUR, 0, 1, True, "resolved", 1),
    ("T11", "10-25 09:00", "email", "E1", None, None, None, 0, 0, None, "queued", None),
]


@pytest.fixture
def desk(tenant_a, tenant_b):
    engagements = {
        "E1": live_engagement(tenant_a.client, name="Orders"),
        "E2": live_engagement(tenant_a.client, name="Returns"),
    }
    queues = {
        k: make_queue(e, name="Q", work_types=["care.ticket"]) for k, e in engagements.items()
    }
    agents = {
        "X": make_agent(engagements["E1"], engagements["E2"], site_=site(name="Manila")),
        "Y": make_agent(engagements["E1"], engagements["E2"], site_=site(name="Bogota")),
    }
    made = {}
    with client_scope(clients=[tenant_a.client]):
        for (
            name,
            created,
            channel,
            eng,
            agent,
            first,
            resolution,
            reopens,
            replies,
            sla,
            status,
            score,
        ) in TICKETS:
            at = datetime.strptime(f"2026-{created}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            item = work.create_item(
                actor=None,
                queue=queues[eng],
                work_type="care.ticket",
                channel=channel,
                payload={"subject": name},
            )
            WorkItem.objects.filter(pk=item.pk).update(
                created_at=at,
                status=status,
                assignee=agents[agent] if agent else None,
                first_response_at=at + timedelta(seconds=first) if first else None,
                resolved_at=at + timedelta(seconds=resolution) if resolution else None,
                reopen_count=reopens,
                sla_met=sla,
            )
            for n in range(replies):
                Message.objects.create(
                    client=tenant_a.client,
                    item=item,
                    direction="outbound",
                    message_id=f"<{name}-{n}@test>",
                    body="reply",
                )
            if score is not None:
                Survey.objects.create(
                    client=tenant_a.client,
                    item=item,
                    token_hash=f"{name:0>64}",
                    sent_at=at,
                    expires_at=at + timedelta(days=7),
                    answered_at=None if score == "unanswered" else at + timedelta(days=1),
                    score=None if score == "unanswered" else score,
                )
            made[name] = item
    # client B's ticket in the same window never counts for A
    other = make_queue(live_engagement(tenant_b.client, name="B"), work_types=["care.ticket"])
    with client_scope(clients=[tenant_b.client]):
        theirs = work.create_item(
            actor=None, queue=other, work_type="care.ticket", payload={"subject": "B"}
        )
        WorkItem.objects.filter(pk=theirs.pk).update(created_at=datetime(2026, 11, 10, tzinfo=UTC))
    return {
        "client": tenant_a.client,
        "engagements": engagements,
        "agents": agents,
        "tickets": made,
    }


def _report(desk, **kw):
    with time_machine.travel(NOW, tick=False), client_scope(clients=[desk["client"]]):
        return reporting.care_report(
            viewer=None, client_ids=[desk["client"].pk], start=START, end=END, now=NOW, **kw
        )


def _summary(f):
    return {
        "volume": f.volume,
        "first": (f.first_response_median, f.first_response_p90),
        "resolution": (f.resolution_median, f.resolution_p90),
        "sla": f.sla_attainment,
        "fcr": f.first_contact_resolution,
        "reopen": f.reopen_rate,
        "csat": (f.csat, f.surveys_answered, f.score_average),
        "backlog": f.backlog,
    }


def test_the_totals_match_the_hand_computed_figures(desk):
    # protects: the client's monthly service review numbers
    total = _report(desk).total
    assert total.by_channel == {"chat": 3, "email": 5, "phone": 1}  # T1-T9
    assert _summary(total) == {
        "volume": 9,
        # first responses 120 300 600 900 1800 3600 7200: median 900;
        # p90 at (7-1)*0.9 = 5.4 -> 3600 + 0.4 * (7200 - 3600) = 5040
        "first": (900, 5040.0),
        # resolutions 3600 7200 10800 14400 36000 172800: median (10800+14400)/2 = 12600;
        # p90 at 5*0.9 = 4.5 -> 36000 + 0.5 * (172800 - 36000) = 104400
        "resolution": (12600.0, 104400.0),
        "sla": 60.0,  # met T1 T3 T4 of judged T1 T2 T3 T4 T6
        "fcr": 50.0,  # T1 T3 T5 of six resolved (T2 T6 reopened, T4 three replies)
        "reopen": 33.3,  # T2 T6 of six
        "csat": (60.0, 5, 3.8),  # 5 2 4 5 3: three of five are 4+; 19 / 5; T5 unanswered
        # open now: T9 6 h, T8 26 h, T7 12 d, T11 26 d (created before the window)
        "backlog": {"under 1 day": 1, "1-3 days": 1, "3-7 days": 0, "over 7 days": 2},
    }


def test_grouped_by_agent_and_by_channel(desk):
    # protects: per-agent and per-channel figures for team leads
    by_agent = {f.label: _summary(f) for f in _report(desk, group_by="agent").rows}
    x, y = (desk["agents"][k].user.full_name for k in ("X", "Y"))
    assert by_agent[x] == {
        "volume": 4,  # T1 T2 T5 T7
        "first": (1800, 3240.0),  # 900 1800 3600: p90 1800 + 0.8 * 1800
        "resolution": (14400, 31680.0),  # 10800 14400 36000: p90 14400 + 0.8 * 21600
        "sla": 50.0,
        "fcr": 66.7,  # T1 T5 of T1 T2 T5
        "reopen": 33.3,
        "csat": (50.0, 2, 3.5),
        "backlog": {"under 1 day": 0, "1-3 days": 0, "3-7 days": 0, "over 7 days": 1},
    }
    assert by_agent[y] == {
        "volume": 4,  # T3 T4 T6 T8
        "first": (450.0, 5220.0),  # 120 300 600 7200: p90 at 2.7 -> 600 + 0.7 * 6600
        "resolution": (7200, 139680.0),  # 3600 7200 172800: 7200 + 0.8 * 165600
        "sla": 66.7,
        "fcr": 33.3,
        "reopen": 33.3,
        "csat": (66.7, 3, 4.0),
        "backlog": {"under 1 day": 0, "1-3 days": 1, "3-7 days": 0, "over 7 days": 0},
    }
    assert by_agent["Unassigned"]["volume"] == 1
    assert by_agent["Unassigned"]["backlog"]["over 7 days"] == 1  # T11
    by_channel = {f.label: _summary(f) for f in _report(desk, group_by="channel").rows}
    assert by_channel["Email"]["first"] == (2700.0, 6120.0)  # 900 1800 3600 7200
    assert by_channel["Email"]["resolution"] == (36000, 145440.0)
    assert by_channel["Email"]["csat"] == (33.3, 3, 3.33)
    assert by_channel["Chat"]["resolution"] == (5400.0, 6840.0)  # 3600 7200: 3600 + 0.9*3600
    assert by_channel["Chat"]["sla"] == 100.0
    assert by_channel["Phone"]["first"] == (None, None)
    assert by_channel["Phone"]["fcr"] == 100.0


def test_filters_narrow_and_the_query_count_stays_flat(desk, django_assert_max_num_queries):
    # protects: filters, and a report that does not slow down per ticket
    returns = _report(desk, engagement_id=desk["engagements"]["E2"].pk).total
    assert returns.volume == 4  # T4 T5 T6 T9
    assert _report(desk, channel="chat").total.volume == 3
    with django_assert_max_num_queries(4):
        _report(desk, group_by="site")


def test_the_page_shows_figures_exports_csv_and_refuses_others(desk, client, tenant_a, tenant_b):
    # protects: the report page as leads and clients use it
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/care/reports/?start=2026-11-01&end=2026-11-20&group_by=agent")
        assert page.status_code == 200
        body = page.content.decode()
        assert 'id="care-figures"' in body
        assert "care-backlog-age" in body
        csv = client.get(
            "/care/reports/?start=2026-11-01&end=2026-11-20&group_by=agent&format=csv"
        ).content.decode()
        total = csv.strip().splitlines()[-1].split(",")
        assert total[:2] == ["Total", "9"]
        bad = client.get("/care/reports/?start=2026-11-20&end=2026-11-01")
        assert bad.status_code == 200
        assert "before the first day" in bad.content.decode()
        # another client's engagement is not an empty report: it does not exist here
        other = live_engagement(tenant_b.client, name="Theirs")
        assert client.get(f"/care/reports/?engagement={other.pk}").status_code == 404
        client.force_login(tenant_a.agent)
        assert client.get("/care/reports/").status_code == 403
        client.force_login(tenant_b.client_admin)
        theirs = client.get("/care/reports/?start=2026-11-01&end=2026-11-20&format=csv")
        assert theirs.content.decode().strip().splitlines()[-1].split(",")[:2] == ["Total", "1"]


def test_the_api_gives_the_same_figures(desk, client, tenant_a, tenant_b):
    # protects: reports for clients' own dashboards
    client.force_login(tenant_a.team_lead)
    with time_machine.travel(NOW, tick=False):
        answer = client.get("/api/v1/care/reports?start=2026-11-01&end=2026-11-20&group_by=agent")
        assert answer.status_code == 200
        total = answer.json()["total"]
        assert (total["volume"], total["first_response_p90_seconds"]) == (9, 5040.0)
        assert client.get("/api/v1/care/reports?start=2026-11-20&end=2026-11-01").status_code == 422
        other = live_engagement(tenant_b.client, name="Theirs")
        assert client.get(f"/api/v1/care/reports?engagement_id={other.pk}").status_code == 404


def test_dates_far_out_are_a_clear_error_not_a_crash(desk, client, tenant_a):
    # protects: no server error on odd dates typed or sent by a script
    client.force_login(tenant_a.team_lead)
    page = client.get("/care/reports/?start=2026-11-01&end=9999-12-31")
    assert page.status_code == 200
    assert "between 2000 and 2100" in page.content.decode()
    assert client.get("/api/v1/care/reports?end=9999-12-31").status_code == 422
