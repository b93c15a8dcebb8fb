"""Care automations in a browser: a provider admin writes a rule on the pages (route
refund e-mails to Billing), reads it back in words, and sees it fire on the next
customer's e-mail, in the ticket's automation log."""

import pytest

from tercero.delivery.work import outbox
from tercero.delivery.work import services as work
from tercero.platform.identity.tests.factories import PASSWORD
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care import inbound
from tercero.services.care.models import Mailbox
from tercero.services.care.tests.test_inbound import mail
from tests.browser.conftest import ALWAYS, checked, screenshot, sign_in
from tests.factories import engagement_for

pytestmark = pytest.mark.browser


def _mail_desk(tenant):
    engagement = engagement_for(
        tenant.client,
        name="Customer care",
        status="live",
        hours_of_cover="24_7",
        working_hours=ALWAYS,
        service_line="customer_care",
        office="front",
    )
    with client_scope(clients=[tenant.client]):
        intake = work.create_queue(
            actor=None, engagement=engagement, name="E-mail", work_types=["care.ticket"]
        )
        work.create_queue(
            actor=None, engagement=engagement, name="Billing", work_types=["care.ticket"]
        )
        return Mailbox.objects.create(
            client=tenant.client, engagement=engagement, queue=intake, address="help@acme.example"
        )


def test_an_admin_writes_a_rule_on_the_pages_and_sees_it_fire(
    page, live_server, watch, tenant_a, provider_admin
):
    mailbox = _mail_desk(tenant_a)
    sign_in(page, live_server, provider_admin, PASSWORD)
    page.get_by_role("link", name="Automations").click()
    checked(page, watch)
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Engagement", exact=True).select_option(
        label="Customer care · Acme Retail Inc"
    )
    page.get_by_role("button", name="Next").click()
    checked(page, watch)
    page.get_by_label("Name:", exact=True).fill("Refunds to billing")
    page.get_by_label("When:", exact=True).select_option("created")
    page.get_by_label("Condition 1:", exact=True).select_option("subject")
    page.locator("#id_cond_0_operator").select_option("contains")
    page.locator("#id_cond_0_words").fill("refund, money back")
    page.get_by_label("Action 1:", exact=True).select_option("move_to_queue")
    page.locator("#id_act_0_choice").select_option(label="Billing")
    page.get_by_role("button", name="Save rule").click()
    summary = page.locator("#rule-summary")
    summary.wait_for()
    assert summary.inner_text() == (
        'When a ticket is created and the subject contains "refund" or "money back": '
        "move it to the queue Billing."
    )
    checked(page, watch)
    screenshot(page, "care-automation-rule")
    # a customer writes; the outbox is read as the worker would
    with client_scope(clients=[tenant_a.client]):
        outcome = inbound.ingest(mailbox=mailbox, raw=mail(subject="Refund for my kettle"))
    outbox.consume("care.automations")
    page.goto(f"{live_server.url}/care/tickets/{outcome.item_id}/")
    log = page.locator("#automation-log")
    log.wait_for()
    assert "“Refunds to billing”: moved it to the queue Billing" in log.inner_text()
    checked(page, watch)
