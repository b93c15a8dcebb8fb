"""A team lead's first sign-in with the second factor enforced, in a real browser:
password, authenticator set-up from the page's key, recovery codes, then the next
sign-in asks for a code."""

import pyotp
import pytest
from django.utils import timezone

from tercero.platform.identity.tests.factories import PASSWORD
from tests.browser.conftest import checked, screenshot

pytestmark = pytest.mark.mfa


def test_a_team_lead_sets_up_the_authenticator_and_signs_in_with_it(
    page, live_server, watch, tenant_a
):
    lead = tenant_a.team_lead
    # given the team lead signs in with their password
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(lead.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # then they are asked to set up an authenticator, not signed in yet
    page.wait_for_url("**/account/mfa/setup/")
    checked(page, watch)
    assert page.locator(".qr svg").count() == 1
    screenshot(page, "mfa-setup")
    # when they type the key into an app and confirm with its code
    seed = page.locator("code.seed").inner_text().replace(" ", "")
    totp = pyotp.TOTP(seed)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    # then they see ten recovery codes once, and are signed in
    page.get_by_role("heading", name="Your authenticator is set up").wait_for()
    checked(page, watch)
    assert page.locator("ul.codes code").count() == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_load_state("load")
    assert "/login/" not in page.url
    # and the next sign-in asks for a code from the app
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(lead.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/mfa/")
    checked(page, watch)
    later = totp.at(timezone.now().timestamp() + totp.interval)  # a step not used yet
    page.get_by_role("textbox", name="Code").fill(later)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert "/login/" not in page.url
