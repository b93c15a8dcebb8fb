"""Engagement set-up pages: hours, holidays and closures, SLA targets, channels and
residency, queues, all without JSON; every save checks the version it was loaded at."""

import re

from tests.factories import engagement_for

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.words import DASH
from tercero.delivery.work.models import Queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope


def _stored(engagement) -> Engagement:
    with all_clients_scope():
        return Engagement.objects.get(pk=engagement.pk)


def _updates(engagement) -> list[list[str]]:
    with all_clients_scope():
        return [
            event.payload["fields"]
            for event in AuditEvent.objects.filter(
                action="engagement.updated", object_id=engagement.pk
            ).order_by("sequence")
        ]


def _text(response) -> str:
    """The page with runs of white space as one space, en dashes as hyphens."""
    return re.sub(r"\s+", " ", response.content.decode()).replace(DASH, "-")


def test_split_shifts_are_stored_per_weekday_and_said_in_words(client, provider_admin, tenant_a):
    # given an engagement open Monday 09:00-17:00
    engagement = engagement_for(tenant_a.client, name="Keying")
    client.force_login(provider_admin)
    # when the admin gives Monday to Friday a split shift and Saturday a morning
    form = {"version": "1", "hours_of_cover": "business_hours", "time_zone": "Europe/London"}
    for day in range(5):
        form |= {f"d{day}_1_from": "08:00", f"d{day}_1_to": "12:00"}
        form |= {f"d{day}_2_from": "13:00", f"d{day}_2_to": "17:30"}
    form |= {"d5_1_from": "9:00", "d5_1_to": "13:00"}
    response = client.post(f"/engagements/{engagement.pk}/hours/", form, follow=True)
    # then the stored structure is the engine's, and the page says it in words
    stored = _stored(engagement)
    assert stored.working_hours == {
        **{str(d): [["08:00", "12:00"], ["13:00", "17:30"]] for d in range(5)},
        "5": [["09:00", "13:00"]],
    }
    assert stored.time_zone == "Europe/London"
    page = _text(response)
    assert "Monday to Friday: 08:00-12:00 and 13:00-17:30" in page
    assert "Saturday: 09:00-13:00" in page
    assert "Sunday: closed" in page
    assert "Day 0" not in page
    assert _updates(engagement) == [["hours_of_cover", "time_zone", "working_hours"]]


def _hours_form(version: int, **shifts: str) -> dict[str, str]:
    return {
        "version": str(version),
        "hours_of_cover": "business_hours",
        "time_zone": "UTC",
    } | shifts


def test_overlapping_or_reversed_shifts_are_refused_in_words_and_nothing_is_saved(
    client, provider_admin, tenant_a
):
    engagement = engagement_for(tenant_a.client, name="Keying")
    client.force_login(provider_admin)
    overlapping = _hours_form(1, d0_1_from="08:00", d0_1_to="12:00") | {
        "d0_2_from": "11:00",
        "d0_2_to": "15:00",
        "d1_1_from": "22:00",
        "d1_1_to": "06:00",
        "d2_1_from": "25:00",
        "d2_1_to": "26:00",
        "d3_1_from": "09:00",
    }
    response = client.post(f"/engagements/{engagement.pk}/hours/", overlapping)
    assert response.status_code == 422
    page = _text(response)
    assert "Monday: the shift 11:00-15:00 overlaps 08:00-12:00." in page
    assert "Tuesday shift 1 ends (06:00) before it starts (22:00)" in page
    assert "Wednesday shift 1: times are like 08:00 or 17:30." in page
    assert "Thursday shift 1: give both its start and its end." in page
    assert _stored(engagement).working_hours == {"0": [["09:00", "17:00"]]}
    assert _updates(engagement) == []


def test_business_hours_without_any_shift_are_refused(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Keying")
    client.force_login(provider_admin)
    response = client.post(f"/engagements/{engagement.pk}/hours/", _hours_form(1))
    assert response.status_code == 422
    assert "Give at least one shift, or choose 24/7 cover." in _text(response)
    assert _updates(engagement) == []


def test_a_24_7_engagement_shows_24_7_and_keeps_its_hours(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care desk")
    client.force_login(provider_admin)
    form = _hours_form(1, d0_1_from="09:00", d0_1_to="17:00") | {"hours_of_cover": "24_7"}
    client.post(f"/engagements/{engagement.pk}/hours/", form)
    stored = _stored(engagement)
    assert (stored.hours_of_cover, stored.working_hours) == ("24_7", {"0": [["09:00", "17:00"]]})
    page = _text(client.get(f"/engagements/{engagement.pk}/"))
    assert "<dt>Hours</dt><dd>24/7</dd>" in page
    assert page.count('data-kind="open"') == 28
    assert "Monday: 09:00" not in page
    # the complexity breakdown names the cover, not its code
    assert "Hours of cover: 24/7 is level 5 of 5" in page
    assert "24_7" not in page


def test_a_stale_hours_form_is_refused_in_words(client, provider_admin, tenant_a):
    # given two people opened the hours at version 1, and the first saved
    engagement = engagement_for(tenant_a.client, name="Keying")
    client.force_login(provider_admin)
    client.post(
        f"/engagements/{engagement.pk}/hours/", _hours_form(1, d0_1_from="08:00", d0_1_to="16:00")
    )
    # when the second saves what they loaded
    response = client.post(
        f"/engagements/{engagement.pk}/hours/", _hours_form(1, d1_1_from="10:00", d1_1_to="18:00")
    )
    # then it is refused, and the first person's hours stand
    assert response.status_code == 422
    assert "The engagement changed since you loaded it; reload and retry." in _text(response)
    assert _stored(engagement).working_hours == {"0": [["08:00", "16:00"]]}
    assert len(_updates(engagement)) == 1


def test_public_holidays_and_closures_show_in_the_calendar_preview(
    client, provider_admin, tenant_a, time_machine
):
    time_machine.move_to("2026-12-16T10:00:00+00:00")
    weekdays = {str(d): [["09:00", "17:00"]] for d in range(5)}
    engagement = engagement_for(tenant_a.client, name="Payroll", working_hours=weekdays)
    client.force_login(provider_admin)
    url = f"/engagements/{engagement.pk}/calendar/"
    # when the admin takes England's public holidays and closes two days for a move
    client.post(
        url,
        {"action": "holidays", "version": "1", "holiday_country": "GB"},
    )
    client.post(
        url,
        {
            "action": "holidays",
            "version": "2",
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
        },
    )
    response = client.post(
        url,
        {
            "action": "add_closure",
            "version": "3",
            "first_day": "2026-12-30",
            "last_day": "2026-12-31",
            "reason": "Office move",
        },
        follow=True,
    )
    # then the stored structure is the engine's and the page names every closed day
    stored = _stored(engagement)
    assert (stored.holiday_country, stored.holiday_subdivision) == ("GB", "ENG")
    assert stored.closures == [
        {"date": "2026-12-30", "reason": "Office move"},
        {"date": "2026-12-31", "reason": "Office move"},
    ]
    page = _text(response)
    assert "Closure added: 2 days (Office move)." in page
    assert "Friday 25 December 2026: Christmas Day" in page
    assert '<span class="badge warn">Holiday</span> Boxing Day (observed)' in page
    assert page.count('<span class="badge bad">Closure</span> Office move') == 2
    assert "(today)" in page
    # when one closure day is removed
    client.post(url, {"action": "remove_closure", "version": "4", "date": "2026-12-31"})
    assert _stored(engagement).closures == [{"date": "2026-12-30", "reason": "Office move"}]


def test_a_region_of_another_country_is_refused_in_words(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Payroll", holiday_country="GB")
    client.force_login(provider_admin)
    response = client.post(
        f"/engagements/{engagement.pk}/calendar/",
        {
            "action": "holidays",
            "version": "1",
            "holiday_country": "US",
            "holiday_subdivision": "ENG",
        },
    )
    assert response.status_code == 422
    assert "That region is not one of United States&#x27;s" in _text(response)
    assert _stored(engagement).holiday_country == "GB"


def test_sla_targets_are_set_in_units_and_summarised_in_words(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care")
    client.force_login(provider_admin)
    url = f"/engagements/{engagement.pk}/sla/"
    entries = [
        {"metric": "first_response", "priority": "P1", "amount": "1", "unit": "hours"},
        {"metric": "resolution", "priority": "", "amount": "2", "unit": "business_days"},
        {"metric": "answer", "priority": "", "amount": "30", "unit": "seconds"},
        {"metric": "accuracy", "priority": "", "amount": "99.5", "unit": "percent"},
    ]
    for version, entry in enumerate(entries, start=1):
        client.post(url, {"action": "add", "version": str(version), **entry})
    # a second first-response target for P1 replaces the first
    response = client.post(
        url,
        {"action": "add", "version": "5", "metric": "first_response", "priority": "P1"}
        | {"amount": "90", "unit": "minutes"},
        follow=True,
    )
    assert _stored(engagement).sla_targets == [
        {"metric": "resolution", "target_business_days": 2},
        {"metric": "answer", "target_seconds": 30},
        {"metric": "accuracy", "target_percent": 99.5},
        {"metric": "first_response", "priority": "P1", "target_seconds": 5400},
    ]
    assert "Target replaced: First response within 90 business minutes for P1." in _text(response)
    page = _text(client.get(f"/engagements/{engagement.pk}/"))
    for said in (
        "First response within 90 business minutes for P1",
        "Resolved within 2 business days for every priority",
        "Answered within 30 seconds for every priority",
        "Accuracy of at least 99.5%",
    ):
        assert f"<li>{said}</li>" in page
    client.post(url, {"action": "remove", "version": "6", "target": "answer:"})
    assert [t["metric"] for t in _stored(engagement).sla_targets] == [
        "resolution",
        "accuracy",
        "first_response",
    ]


def test_a_target_in_the_wrong_unit_is_refused_in_words(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care")
    client.force_login(provider_admin)
    url = f"/engagements/{engagement.pk}/sla/"
    refusals = {
        ("accuracy", "2", "hours"): "Accuracy is a percentage: choose Percent.",
        ("resolution", "4", "percent"): "Resolution is a time: choose seconds, minutes,",
        ("answer", "1", "business_days"): "An answer target is in seconds or minutes",
        ("turnaround", "1.5", "business_days"): "Business days are a whole number up to 365.",
        ("service_level", "120", "percent"): "Service level is at most 100 percent.",
    }
    for (metric, amount, unit), said in refusals.items():
        form = {"action": "add", "version": "1", "metric": metric, "amount": amount, "unit": unit}
        response = client.post(url, form)
        assert response.status_code == 422
        assert said in _text(response)
    assert _stored(engagement).sla_targets == []
    assert _updates(engagement) == []


def test_channels_and_residency_are_chosen_by_name(client, provider_admin, tenant_a):
    from tests.factories import site

    site()
    engagement = engagement_for(tenant_a.client, name="Care")
    client.force_login(provider_admin)
    page = _text(client.get(f"/engagements/{engagement.pk}/reach/"))
    assert "Philippines" in page
    client.post(
        f"/engagements/{engagement.pk}/reach/",
        {
            "version": "1",
            "channels": ["chat", "web_form"],
            "languages": "en, DE",
            "residency_allowed_shores": ["nearshore", "offshore"],
            "residency_allowed_countries": ["PH"],
            "other_countries": "in",
        },
    )
    stored = _stored(engagement)
    assert stored.channels == ["web_form", "chat"]
    assert stored.languages == ["en", "de"]
    assert stored.residency_allowed_shores == ["nearshore", "offshore"]
    assert stored.residency_allowed_countries == ["PH", "IN"]
    page = _text(client.get(f"/engagements/{engagement.pk}/"))
    assert "<dd>Web form, Chat</dd>" in page
    assert "<dd>Nearshore, Offshore</dd>" in page
    assert "<dd>Philippines, India</dd>" in page


def test_a_queue_is_edited_from_its_engagement_and_a_stale_edit_is_refused(
    client, provider_admin, tenant_a
):
    from tercero.delivery.work import services as work
    from tercero.platform.tenancy.scoping import client_scope

    engagement = engagement_for(tenant_a.client, name="Care")
    with client_scope(clients=[tenant_a.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Inbox", work_types=["care.ticket"]
        )
    client.force_login(provider_admin)
    url = f"/engagements/{engagement.pk}/queues/{queue.pk}/"
    form: dict[str, object] = {"name": "Chats", "routing": "push", "priority": "1"}
    form |= {"at_risk_percent": "70", "work_types": ["care.ticket", "care.call"]}
    client.post(url, form | {"version": "1"})
    response = client.post(url, form | {"version": "1", "name": "Later"})
    assert response.status_code == 422
    assert "The queue changed since you loaded it; reload and retry." in _text(response)
    with all_clients_scope():
        saved = Queue.objects.get(pk=queue.pk)
    assert (saved.name, saved.routing, saved.priority, saved.is_active) == (
        "Chats",
        "push",
        1,
        False,
    )
    assert saved.work_types == ["care.ticket", "care.call"]
    assert "Chats" in _text(client.get(f"/engagements/{engagement.pk}/"))


def test_people_who_may_only_read_engagements_cannot_open_the_set_up(client, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care")
    client.force_login(tenant_a.team_lead)
    for section in ("hours", "calendar", "sla", "reach"):
        assert client.get(f"/engagements/{engagement.pk}/{section}/").status_code == 403
    page = _text(client.get(f"/engagements/{engagement.pk}/"))
    assert "Edit working hours" not in page
    assert f"/engagements/{engagement.pk}/sla/" not in page


def test_a_new_engagement_is_created_from_a_form_without_json(client, provider_admin, tenant_a):
    client.force_login(provider_admin)
    form_page = client.get("/engagements/new/").content.decode()
    assert "<textarea" in form_page  # the scope, and nothing else
    assert form_page.count("<textarea") == 1
    assert "HH:MM" not in form_page
    response = client.post(
        "/engagements/new/",
        {
            "client": str(tenant_a.client.pk),
            "name": "Night desk",
            "service_line": "customer_care",
            "category": "BPO",
            "office": "front",
            "orientation": "horizontal",
            "pricing_model": "per_hour",
            "time_zone": "Asia/Manila",
            "hours_of_cover": "24_7",
            "monthly_volume": "1200",
            "process_steps": "3",
            "exception_rate_percent": "5",
            "systems_count": "2",
            "regulation": "light",
        },
        follow=True,
    )
    with all_clients_scope():
        created = Engagement.objects.get(name="Night desk")
    assert (created.hours_of_cover, created.time_zone, created.status) == (
        "24_7",
        "Asia/Manila",
        "draft",
    )
    page = _text(response)
    assert "Engagement Night desk created as a draft." in page
    assert "<dt>Hours</dt><dd>24/7</dd>" in page


def test_a_form_without_its_version_is_refused_in_words(client, provider_admin, tenant_a):
    engagement = engagement_for(tenant_a.client, name="Care")
    client.force_login(provider_admin)
    form = _hours_form(1, d0_1_from="08:00", d0_1_to="12:00")
    del form["version"]
    response = client.post(f"/engagements/{engagement.pk}/hours/", form)
    assert response.status_code == 422
    assert "The form is missing its version; reload the page." in _text(response)
    assert _updates(engagement) == []
