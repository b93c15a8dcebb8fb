"""Setting a queue's own hours, on its page and in the API: the engagement's weekday grid
(no JSON), refusals in words that store nothing, an audit event naming the hours before
and after, the hours in words on the queue, engagement and floor pages, and another
client's queue a 404."""

import re
from datetime import UTC, datetime

import time_machine

from tercero.delivery.engagements.words import DASH
from tercero.delivery.work.models import Queue
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope

JSON = "application/json"
SPLIT = {str(day): [["08:00", "12:00"], ["16:00", "20:00"]] for day in range(5)}
# Monday 1 March 2027, 13:00 in London (GMT)
LUNCH = datetime(2027, 3, 1, 13, 0, tzinfo=UTC)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode()).replace(DASH, "-")


def _stored(queue) -> Queue:
    with all_clients_scope():
        return Queue.objects.get(pk=queue.pk)


def _hours_events(queue) -> list[dict]:
    with all_clients_scope():
        return [
            event.payload
            for event in AuditEvent.objects.filter(
                action="queue.updated", object_id=queue.pk
            ).order_by("sequence")
        ]


def _queue(tenant, name="Back office"):
    engagement = live_engagement(tenant.client, name="Northwind care", time_zone="Europe/London")
    return make_queue(engagement, name=name)


def _split_form(version: int) -> dict[str, str]:
    form = {"version": str(version), "action": "hours", "hours": "own"}
    for day in range(5):
        form |= {f"d{day}_1_from": "08:00", f"d{day}_1_to": "12:00"}
        form |= {f"d{day}_2_from": "16:00", f"d{day}_2_to": "20:00"}
    return form


def test_the_queue_page_gives_a_queue_split_shifts_and_says_them_in_words(
    client, provider_admin, tenant_a
):
    # given a queue that follows its 24/7 engagement
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    url = f"/engagements/{queue.engagement_id}/queues/{queue.pk}/"
    assert "As the engagement" in _text(client.get(url))
    # when the admin gives it weekday shifts 08:00-12:00 and 16:00-20:00
    with time_machine.travel(LUNCH, tick=False):
        client.force_login(provider_admin)
        response = client.post(url, _split_form(queue.version), follow=True)
    # then they are stored in the engine's shape, said in words and audited
    stored = _stored(queue)
    assert stored.has_own_hours is True
    assert stored.working_hours == SPLIT
    page = _text(response)
    assert "Hours of queue Back office saved: Monday to Friday: 08:00-12:00 and 16:00-20:00" in page
    assert "Closed; opens 16:00" in page  # the engagement page's queue list, at lunch
    assert _hours_events(queue) == [
        {
            "fields": ["has_own_hours", "working_hours"],
            "hours_before": ["As the engagement"],
            "hours": [
                "Monday to Friday: 08:00\u201312:00 and 16:00\u201320:00",
                "Saturday and Sunday: closed",
            ],
        }
    ]
    with time_machine.travel(LUNCH, tick=False):
        client.force_login(provider_admin)
        page = _text(client.get(url))
    assert "Saved now: Monday to Friday: 08:00-12:00 and 16:00-20:00" in page
    assert "(Closed; opens 16:00)" in page


def test_the_queue_page_refuses_overlapping_shifts_and_an_end_before_the_start(
    client, provider_admin, tenant_a
):
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    url = f"/engagements/{queue.engagement_id}/queues/{queue.pk}/"
    overlapping = _split_form(queue.version) | {"d0_2_from": "11:00"}
    backwards = _split_form(queue.version) | {"d2_1_from": "12:00", "d2_1_to": "08:00"}
    empty = {"version": str(queue.version), "action": "hours", "hours": "own"}
    first = client.post(url, overlapping)
    second = client.post(url, backwards)
    third = client.post(url, empty)
    assert first.status_code == second.status_code == third.status_code == 422
    assert "Monday: the shift 11:00-20:00 overlaps 08:00-12:00." in _text(first)
    assert "Wednesday shift 1 ends (08:00) before it starts (12:00)" in _text(second)
    assert "Give the queue at least one shift" in _text(third)
    assert _stored(queue).has_own_hours is False
    assert _stored(queue).working_hours == {}
    assert _hours_events(queue) == []


def test_a_queue_can_follow_its_engagement_again(client, provider_admin, tenant_a):
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    url = f"/engagements/{queue.engagement_id}/queues/{queue.pk}/"
    client.post(url, _split_form(queue.version))
    response = client.post(
        url, {"version": str(queue.version + 1), "action": "hours", "hours": "engagement"}
    )
    # then it is open whenever the engagement is; its shifts are kept for another time
    assert response.status_code == 302
    stored = _stored(queue)
    assert stored.has_own_hours is False
    assert stored.working_hours == SPLIT
    assert "As the engagement" in _text(client.get(url))


def test_the_api_sets_a_queues_own_hours_and_says_them_in_words(client, provider_admin, tenant_a):
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    response = client.patch(
        f"/api/v1/queues/{queue.pk}",
        data={"version": queue.version, "has_own_hours": True, "working_hours": SPLIT},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_own_hours"] is True
    assert body["working_hours"] == SPLIT
    assert body["hours_in_words"] == [
        "Monday to Friday: 08:00\u201312:00 and 16:00\u201320:00",
        "Saturday and Sunday: closed",
    ]
    assert _hours_events(queue)[0]["fields"] == ["has_own_hours", "working_hours"]


def test_the_api_creates_a_queue_with_its_own_hours(client, provider_admin, tenant_a):
    engagement = live_engagement(tenant_a.client, time_zone="Europe/London")
    client.force_login(provider_admin)
    response = client.post(
        "/api/v1/queues",
        data={
            "engagement_id": engagement.pk,
            "name": "Evenings",
            "has_own_hours": True,
            "working_hours": {"0": [["16:00", "20:00"]]},
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert response.json()["hours_in_words"][0] == "Monday: 16:00\u201320:00"


def test_the_api_refuses_bad_hours_in_words_and_stores_nothing(client, provider_admin, tenant_a):
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    cases = {
        "overlap": {"0": [["08:00", "12:00"], ["11:00", "13:00"]]},
        "backwards": {"1": [["17:00", "09:00"]]},
        "not a time": {"2": [["8 am", "12:00"]]},
        "no shift": {},
        "not a day": {"7": [["08:00", "12:00"]]},
    }
    answers = {
        name: client.patch(
            f"/api/v1/queues/{queue.pk}",
            data={"version": queue.version, "has_own_hours": True, "working_hours": hours},
            content_type=JSON,
        )
        for name, hours in cases.items()
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        cases, 422
    )
    said = {
        name: answer.json()["error"]["fields"]["working_hours"] for name, answer in answers.items()
    }
    assert said["overlap"] == "Monday: the shift 11:00\u201313:00 overlaps 08:00\u201312:00."
    assert said["backwards"] == "Tuesday: the shift 17:00-09:00 ends before it starts."
    assert said["not a time"] == "Wednesday: times are like 08:00 or 17:30 (an end may be 24:00)."
    assert said["no shift"].startswith("Give at least one shift")
    assert said["not a day"] == "'7' is not a weekday (0 = Monday to 6 = Sunday)."
    assert _stored(queue).has_own_hours is False
    assert _hours_events(queue) == []


def test_another_clients_queue_is_not_found_on_its_page_and_in_the_api(client, tenant_a, tenant_b):
    # given staff of client A only, and a queue of client B
    foreign = _queue(tenant_b, name="Theirs")
    staff = UserFactory.create(email="ops@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        Grant.objects.create(user=staff, client=tenant_a.client, reason="test")
    client.force_login(staff)
    # when they try to give it hours, on its page and in the API
    page = client.post(
        f"/engagements/{foreign.engagement_id}/queues/{foreign.pk}/",
        _split_form(foreign.version),
    )
    api = client.patch(
        f"/api/v1/queues/{foreign.pk}",
        data={"version": foreign.version, "has_own_hours": True, "working_hours": SPLIT},
        content_type=JSON,
    )
    # then both answer 404 and nothing changed
    assert page.status_code == api.status_code == 404
    assert _stored(foreign).has_own_hours is False
    assert _hours_events(foreign) == []


def test_the_floor_and_wallboard_say_a_queue_is_closed_and_when_it_opens(
    client, provider_admin, tenant_a
):
    queue = _queue(tenant_a)
    client.force_login(provider_admin)
    client.patch(
        f"/api/v1/queues/{queue.pk}",
        data={"version": queue.version, "has_own_hours": True, "working_hours": SPLIT},
        content_type=JSON,
    )
    with time_machine.travel(datetime(2027, 3, 5, 21, 0, tzinfo=UTC), tick=False):  # Friday
        client.force_login(provider_admin)
        floor = _text(client.get("/ops/"))
        wallboard = _text(client.get("/ops/wallboard/"))
    assert "Closed; opens Monday 8 March at 08:00" in floor
    assert "Closed; opens Monday 8 March at 08:00" in wallboard
    with time_machine.travel(LUNCH.replace(hour=9), tick=False):
        client.force_login(provider_admin)
        assert "Open until 12:00" in _text(client.get("/ops/wallboard/"))
