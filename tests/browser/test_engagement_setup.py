"""A provider admin sets up a client's engagement from the pages, without JSON: 24/7
cover, a queue, public holidays and a closure, SLA targets summarised in words, the
calendar preview; then changes the hours to split shifts, and a second tab's stale save
is refused in words."""

import re

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work.models import Queue
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope
from tests.browser.conftest import checked, screenshot, sign_in


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main")).replace("\u2013", "-")


def _add_target(page, measure: str, priority: str, amount: str, unit: str) -> None:
    page.get_by_label("Measure", exact=True).select_option(label=measure)
    page.get_by_label("Priority", exact=True).select_option(label=priority)
    page.get_by_label("Target", exact=True).fill(amount)
    page.get_by_label("Unit", exact=True).select_option(label=unit)
    page.get_by_role("button", name="Save target").click()
    page.wait_for_load_state("load")


def _create_24_7_engagement(page, client_name: str) -> None:
    page.get_by_role("link", name="Engagements", exact=True).click()
    page.get_by_role("link", name="New engagement").click()
    checked(page)
    page.get_by_label("Client").select_option(label=client_name)
    page.get_by_label("Name", exact=True).fill("Acme customer care")
    page.get_by_label("Service line").select_option(label="Customer care")
    page.get_by_label("Office").select_option(label="Front office")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("24/7").check()
    page.get_by_role("button", name="Create engagement").click()
    page.wait_for_url("**/engagements/*/")


def test_an_admin_sets_up_a_24_7_engagement_then_split_shifts_without_json(
    page, live_server, watch, provider_admin, tenant_a
):
    sign_in(page, live_server, provider_admin, PASSWORD)
    # when the admin creates the client's engagement with 24/7 cover
    _create_24_7_engagement(page, tenant_a.client.legal_name)
    detail_url = page.url
    checked(page, watch)
    text = _text(page)
    assert "created as a draft" in text
    assert "Hours 24/7" in text
    assert "24/7" in page.locator("table.calendar-preview").inner_text()
    # and adds a chat queue
    page.get_by_label("Queue name").fill("Chats")
    page.get_by_label("Customer ticket").check()
    page.get_by_label("Routing").select_option(
        label="Push (offered to an available agent on arrival)"
    )
    page.get_by_role("button", name="Add queue").click()
    page.wait_for_url(detail_url)
    assert "Queue Chats added." in _text(page)
    # and England's public holidays and a closure
    page.get_by_role("link", name="Holidays and closures").first.click()
    checked(page, watch)
    page.get_by_label("Public holidays of").select_option(label="United Kingdom")
    page.get_by_role("button", name="Save public holidays").click()
    page.wait_for_load_state("load")
    page.get_by_label("Region (state, province or nation)").select_option(label="England (ENG)")
    page.get_by_role("button", name="Save public holidays").click()
    page.wait_for_load_state("load")
    assert "Christmas Day" in _text(page)
    page.get_by_label("Closed on").fill("2027-01-04")
    page.get_by_label("Why (e.g. Office move)").fill("Stocktake")
    page.get_by_role("button", name="Add closure").click()
    page.wait_for_load_state("load")
    assert "Closure added: 4 January 2027 (Stocktake)." in _text(page)
    checked(page, watch)
    screenshot(page, "engagement-holidays")
    # and SLA targets in units
    page.get_by_role("link", name="SLA targets").click()
    checked(page, watch)
    _add_target(page, "First response", "P1", "1", "Hours")
    _add_target(page, "Answer (live chat and phone)", "Every priority", "30", "Seconds")
    _add_target(page, "Resolution", "Every priority", "2", "Business days")
    # a percentage in hours is refused in words
    watch.expected_422s.add("/sla/")
    _add_target(page, "Accuracy", "Every priority", "99", "Hours")
    assert "Accuracy is a percentage: choose Percent." in _text(page)
    checked(page, watch)
    # then the engagement page sums it up in words, with the calendar preview
    page.goto(detail_url)
    text = _text(page)
    assert "First response within 1 hour for P1" in text
    assert "Answered within 30 seconds for every priority" in text
    assert "Resolved within 2 days for every priority" in text
    assert "Public holidays United Kingdom (ENG)" in text
    assert "Next four weeks" in text
    screenshot(page, "engagement-24-7")
    # when the admin changes the hours to split shifts on weekdays
    page.get_by_role("link", name="Edit working hours").click()
    checked(page, watch)
    page.get_by_label("Business hours").check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(f"{day} shift 1 starts").fill("08:00")
        page.get_by_label(f"{day} shift 1 ends").fill("12:00")
        page.get_by_label(f"{day} shift 2 starts").fill("13:00")
        page.get_by_label(f"{day} shift 2 ends").fill("17:30")
    screenshot(page, "engagement-hours")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_url(detail_url)
    # then the page says the hours and the targets in business time
    text = _text(page)
    assert "Working hours saved." in text
    assert "Monday to Friday: 08:00-12:00 and 13:00-17:30" in text
    assert "Saturday and Sunday: closed" in text
    assert "First response within 1 business hour for P1" in text
    assert "Resolved within 2 business days for every priority" in text
    preview = page.locator("table.calendar-preview").inner_text().replace("\u2013", "-")
    assert "08:00-12:00 and 13:00-17:30" in preview
    assert "Day 0" not in text
    assert "{" not in text
    checked(page, watch)
    with all_clients_scope():
        engagement = Engagement.objects.get(name="Acme customer care")
        assert engagement.hours_of_cover == "business_hours"
        assert engagement.working_hours["0"] == [["08:00", "12:00"], ["13:00", "17:30"]]
        assert {"metric": "first_response", "priority": "P1", "target_seconds": 3600} in (
            engagement.sla_targets
        )
        assert Queue.objects.get(engagement=engagement).name == "Chats"


def test_a_concurrent_edit_of_the_hours_is_refused_in_words(
    page, live_server, watch, provider_admin, tenant_a
):
    from tests.factories import engagement_for

    engagement = engagement_for(tenant_a.client, name="Back office", status="live")
    sign_in(page, live_server, provider_admin, PASSWORD)
    hours_url = f"{live_server.url}/engagements/{engagement.pk}/hours/"
    # given the admin has the hours open in two tabs
    other = page.context.new_page()
    page.goto(hours_url)
    other.goto(hours_url)
    # when the first tab saves a Saturday shift
    page.get_by_label("Saturday shift 1 starts").fill("09:00")
    page.get_by_label("Saturday shift 1 ends").fill("13:00")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state("load")
    assert "Working hours saved." in _text(page)
    # and the second, loaded before, saves a Sunday shift
    watch.expected_422s.add("/hours/")
    other.get_by_label("Sunday shift 1 starts").fill("10:00")
    other.get_by_label("Sunday shift 1 ends").fill("14:00")
    other.get_by_role("button", name="Save hours").click()
    other.wait_for_load_state("load")
    # then the second is refused in words, and the first one's hours stand
    assert "The engagement changed since you loaded it; reload and retry." in _text(other)
    checked(other, watch)
    screenshot(other, "engagement-stale-edit")
    with all_clients_scope():
        stored = Engagement.objects.get(pk=engagement.pk).working_hours
    assert stored == {"0": [["09:00", "17:00"]], "5": [["09:00", "13:00"]]}
