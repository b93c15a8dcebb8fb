"""Issue 20's dead ends, clicked through in a browser: a paid month's pay-run item reads
as finished (item 2), the reassign control offers only agents who may take the item and
refuses in sentences (item 3), item histories name SLA events in full words (item 6),
and `tercero demo` prints a sign-in address that opens the sign-in page (item 8; one demo
load serves items 2 and 8)."""

import io
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

from tercero.config.management.commands.demo import PASSWORD as DEMO_PASSWORD
from tercero.delivery.work.models import WorkEvent
from tercero.delivery.workforce.models import Clearance
from tercero.delivery.workforce.services import clear_agent, create_agent, revoke_clearance
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll import demo as payroll_demo
from tercero.services.payroll.models import PayRun
from tests.browser.conftest import add_item, checked, open_context, screenshot, sign_in

CUT_CODES = ("T_risk", "Reached", "sla.at_risk", "sla.breached", "at_risk")


def _load_demo(public_base_url: str, monkeypatch) -> str:
    """Run `tercero demo` as a person does; return what it printed."""
    monkeypatch.setenv("PUBLIC_BASE_URL", public_base_url)
    printed = io.StringIO()
    call_command("demo", stdout=printed)
    return printed.getvalue()


def _agent(desk, email: str, name: str, *, skills, cleared: bool):
    user = UserFactory(email=email, full_name=name, role=Role.AGENT)
    tenant = desk["tenant"]
    with client_scope(clients=[tenant.client]):
        Grant.objects.create(user=user, client=tenant.client, reason="fixture")
        agent = create_agent(
            actor=None, user=user, site=desk["agents"][0].site, skills=skills, languages=["en"]
        )
        if cleared:
            clear_agent(
                actor=None,
                agent=agent,
                engagement=desk["engagement"],
                reachable_client_ids=[tenant.client.pk],
            )
    return agent


def test_reassign_offers_only_eligible_agents_and_refuses_in_sentences(
    page, live_server, watch, desk
):
    # given an item on the desk, two cleared skilled agents and two who may not take it
    item = add_item(desk)
    _agent(desk, "nora@provider.example", "Nora Noskill", skills={}, cleared=True)
    _agent(desk, "uma@provider.example", "Uma Uncleared", skills={"data_entry": 3}, cleared=False)
    sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
    # when the lead opens the item's Assign card
    page.goto(f"{live_server.url}/work/items/{item.pk}/")
    checked(page, watch)
    picker = page.get_by_label("Agent", exact=True)
    offered = picker.locator("option").all_inner_texts()
    # then only the two cleared, skilled agents are offered
    assert len(offered) == 2, offered
    assert not any("Nora" in o or "Uma" in o for o in offered), offered
    assert "2 in all" in page.locator("#assign").inner_text()
    # searching by name narrows the choice to that agent
    page.get_by_label("Name or e-mail").fill("sam sec")
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state("load")
    checked(page, watch)
    offered = page.get_by_label("Agent", exact=True).locator("option").all_inner_texts()
    assert len(offered) == 1, offered
    assert "Sam Second" in offered[0], offered
    # an agent who may not take it is not found by name either
    page.get_by_label("Name or e-mail").fill("Nora")
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state("load")
    assert "No agent who may take this item matches." in page.locator("#assign").inner_text()
    # when Sam's clearance is revoked while the page still offers them (a stale choice)
    page.get_by_label("Name or e-mail").fill("Sam")
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state("load")
    sam = desk["agents"][1]
    with client_scope(clients=[desk["tenant"].client]):
        revoke_clearance(actor=None, clearance=Clearance.objects.get(agent=sam))
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state("load")
    checked(page, watch)
    screenshot(page, "shift-item-3-refused")
    # then the refusal reads as sentences, never a Python list, and nothing changed
    body = page.locator("body").inner_text()
    assert "may not take this item." in body
    assert "The agent is not cleared for this engagement." in body
    assert "['" not in body
    assert "reasons:" not in body
    with all_clients_scope():
        item.refresh_from_db()
        assert item.assignee_id is None


def test_histories_name_sla_events_in_full_words(browser, page, live_server, watch, desk):
    # given an item whose clock went at risk and then past its due time
    item = add_item(desk)
    with client_scope(clients=[item.client_id]):
        for kind in ("sla.at_risk", "sla.breached"):
            WorkEvent.objects.create(
                client_id=item.client_id,
                item=item,
                engagement_id=item.engagement_id,
                kind=kind,
                data={"metric": "resolution", "due_at": "2026-01-01T00:00:00Z"},
                at=timezone.now(),
            )
    tenant = desk["tenant"]
    # when the lead reads the staff history
    sign_in(page, live_server, tenant.team_lead, PASSWORD)
    page.goto(f"{live_server.url}/work/items/{item.pk}/")
    checked(page, watch)
    history = page.locator("section", has=page.locator("#history-heading")).inner_text()
    # then the SLA events carry full labels
    assert "SLA at risk" in history
    assert "SLA breached" in history
    assert not [code for code in CUT_CODES if code in history], history
    # and the client's portal history says the same in the client's words
    portal = open_context(browser, live_server, watch).new_page()
    sign_in(portal, live_server, tenant.client_user, PASSWORD)
    portal.goto(f"{live_server.url}/portal/items/{item.pk}/")
    checked(portal, watch)
    screenshot(portal, "shift-item-6-portal-history")
    told = portal.locator("section", has=portal.locator("#history-heading")).inner_text()
    assert "Received" in told
    assert "Past its agreed time" in told
    assert not [code for code in CUT_CODES if code in told], told


def _paid_and_current_items() -> tuple:
    """The first paid month's pay-run item and the open month's, as the demo loaded them."""
    with all_clients_scope():
        runs = list(
            PayRun.objects.filter(pay_group__name=payroll_demo.PAY_GROUP)
            .select_related("work_item")
            .order_by("period_start")
        )
        paid = [run for run in runs if run.status == PayRun.Status.FINALISED]
        current = [run for run in runs if run.status != PayRun.Status.FINALISED]
        assert paid
        assert len(current) == 1
        return paid[0].work_item, current[0].work_item


def _a_paid_months_item_reads_as_finished(page, live_server, watch) -> None:
    first, current_item = _paid_and_current_items()
    assert first.resolved_at is not None
    # when the lead opens the first paid month's item
    page.goto(f"{live_server.url}/work/items/{first.pk}/")
    checked(page, watch)
    screenshot(page, "shift-item-2-paid-run")
    # then it is resolved, met, with the moment it ended and no due time ahead
    facts = page.locator("dl.facts", has=page.locator("#item-status"))
    assert page.locator("#item-status").inner_text() == "Resolved"
    assert facts.locator(".badge.ok").first.inner_text() == "Met"
    ended = page.locator("#sla-finished").inner_text()
    london = first.resolved_at.astimezone(ZoneInfo("Europe/London"))
    assert london.strftime("%a %d %b %Y, %H:%M") in ended, ended
    assert page.locator("#sla-due").count() == 0
    assert page.locator("#sla-remaining").count() == 0
    text = facts.inner_text()
    assert "On track" not in text
    assert "Nobody yet" not in text
    assert "Breached" not in text
    # and the item list shows it finished, never late
    page.goto(f"{live_server.url}/work/items/")
    page.get_by_label("Search title or reference").fill(first.title)
    page.get_by_label("Search title or reference").press("Enter")
    page.wait_for_load_state("load")
    checked(page, watch)
    row = page.locator("tr", has=page.locator('td[data-label="#"]', has_text=str(first.pk)))
    assert row.locator('td[data-label="Status"]').inner_text() == "Resolved"
    assert "late" not in row.locator('td[data-label="Due"]').inner_text()
    # and the month now open is on track, due in the future, not born breached
    page.goto(f"{live_server.url}/work/items/{current_item.pk}/")
    checked(page, watch)
    assert page.locator("#item-status").inner_text() != "Resolved"
    facts = page.locator("dl.facts", has=page.locator("#item-status"))
    badge = facts.locator(".badge").nth(1).inner_text()
    assert badge in ("On track", "At risk"), badge
    assert page.locator("#sla-due").is_visible()
    assert page.locator("dt", has_text="Time left").count() == 1
    assert "Overdue by" not in facts.inner_text()


def test_the_demo_prints_a_sign_in_address_that_opens_and_a_paid_month_reads_as_finished(
    page, live_server, watch, monkeypatch
):
    # (one `tercero demo` serves both items: each load is the suite's costliest set-up)
    # given PUBLIC_BASE_URL names the address people use
    # when `tercero demo` runs
    printed = _load_demo(live_server.url, monkeypatch)
    # then it prints that address, not a fixed 127.0.0.1:8000
    address = f"{live_server.url}/login/"
    assert f"Sign in at {address} with:" in printed
    assert "127.0.0.1:8000" not in printed
    assert "lead@tercero.example" in printed
    assert DEMO_PASSWORD in printed
    # and the printed address opens the sign-in page, where a printed login signs in
    printed_address = printed.split("Sign in at ", 1)[1].split(" with:", 1)[0]
    page.goto(printed_address)
    checked(page, watch)
    assert page.get_by_role("button", name="Sign in").is_visible()
    page.get_by_label("E-mail").fill("lead@tercero.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert "/login/" not in page.url
    # and, signed in as the lead, the demo's payroll history loaded up to today reads as
    # finished where it is paid and open where it is not (item 2)
    _a_paid_months_item_reads_as_finished(page, live_server, watch)
