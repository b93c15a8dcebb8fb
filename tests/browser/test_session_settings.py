"""The provider admin sets how long a session lives, in a browser: the Settings page in
the navigation, a lifetime outside 1 to 16 hours refused in words, the cookie the browser
keeps outliving the longest lifetime (issue 20, item 10)."""

import time

from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.models import Provider
from tests.browser.conftest import checked, screenshot, sign_in


def test_the_provider_admin_sets_the_session_lifetime(page, live_server, watch, provider_admin):
    # given the provider admin, signed in
    sign_in(page, live_server, provider_admin, PASSWORD)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    # the browser keeps the session cookie longer than any lifetime a provider may set
    assert cookie["expires"] >= time.time() + 16 * 3600 - 120
    # when they open Settings from the navigation
    page.get_by_role("link", name="Settings", exact=True).click()
    checked(page, watch)
    assert page.locator("#session-now").inner_text() == (
        "A session lasts 12 hours after sign-in, however busy."
    )
    # and ask for more than two shifts (the form comes back with its reason, as a 422)
    watch.expected_422s.add("/settings/")
    page.get_by_label("Session lifetime (hours)").fill("17")
    page.get_by_role("button", name="Save").click()
    checked(page, watch)
    # then the refusal is a sentence and nothing changed
    assert page.get_by_text("A session lasts at most 16 hours.").is_visible()
    assert Provider.objects.get().session_hours is None
    # when they set ten hours
    page.get_by_label("Session lifetime (hours)").fill("10")
    page.get_by_role("button", name="Save").click()
    checked(page, watch)
    # then the page says so and the provider keeps it
    assert page.get_by_text("Sessions now last 10 hours after sign-in.").is_visible()
    assert page.locator("#session-now").inner_text() == (
        "A session lasts 10 hours after sign-in, however busy."
    )
    assert Provider.objects.get().session_hours == 10
    screenshot(page, "provider-settings")
