"""What a lead sees on the floor pages in a browser: one navigation entry marked as the
current page, a navigation that folds on a phone, charts readable at 390 px, and an
engagement that ends only after the person confirms it."""

import pytest

from tercero.delivery.engagements.models import Engagement
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import all_clients_scope
from tests.browser.conftest import add_item, checked, open_context, screenshot, sign_in


@pytest.mark.parametrize(
    ("path", "current"),
    [("/work/items/", "Items"), ("/ops/sla/", "SLA"), ("/ops/security/", "Security")],
)
def test_one_navigation_entry_is_the_current_page(page, live_server, watch, desk, path, current):
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    page.goto(live_server.url + path)
    checked(page, watch)
    marked = page.locator('nav.site-nav a[aria-current="page"]').all_inner_texts()
    assert marked == [current]


def test_an_item_page_marks_items_not_the_workspace(page, live_server, watch, desk):
    item = add_item(desk)
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{item.pk}/")
    assert page.locator('nav.site-nav a[aria-current="page"]').all_inner_texts() == ["Items"]


def test_a_phone_folds_the_navigation_behind_a_menu_button(browser, live_server, watch, desk):
    page = open_context(browser, live_server, watch).new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    page.goto(live_server.url + "/ops/sla/")
    checked(page, watch)
    # the header is one line: the brand and a Menu button, the entries hidden
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 80, header
    assert not page.get_by_role("link", name="Engagements").is_visible()
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    # pressing Menu shows every entry; the page still never scrolls sideways
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Engagements").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-menu-open")
    # charts keep a readable scale: a label's type is drawn at 9 px or more
    chart = page.locator("#by-day ~ .chart-box svg").first
    assert chart.bounding_box()["width"] >= 540 * 0.9
    menu.click()
    assert not page.get_by_role("link", name="Engagements").is_visible()


def test_the_wide_navigation_shows_no_menu_button(page, live_server, watch, desk):
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Engagements").is_visible()


def test_ending_an_engagement_asks_first(page, live_server, watch, desk, tenant_a):
    from tercero.platform.identity.models import Grant
    from tercero.platform.identity.roles import Role
    from tercero.platform.identity.tests.factories import UserFactory

    admin = UserFactory(email="root@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        Grant.objects.create(user=admin, client=tenant_a.client, reason="fixture")
    engagement = desk["engagement"]
    sign_in(page, live_server, admin, PASSWORD)
    page.goto(f"{live_server.url}/engagements/{engagement.pk}/")
    checked(page, watch)
    status = page.get_by_label("Status", exact=True)
    assert status.input_value() == ""
    status.select_option("ended")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    # when the admin says no to the question, nothing changes
    page.once("dialog", dismiss)
    page.get_by_role("button", name="Change status").click()
    assert len(asked) == 1
    assert asked[0].startswith("End Order keying?")
    with all_clients_scope():
        assert Engagement.objects.get(pk=engagement.pk).status == "live"
    # when they say yes, it ends
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Change status").click()
    page.wait_for_load_state("load")
    assert "Order keying is now Ended." in page.content()
    with all_clients_scope():
        assert Engagement.objects.get(pk=engagement.pk).status == "ended"
