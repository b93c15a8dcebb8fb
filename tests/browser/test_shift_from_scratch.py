"""A shift from scratch, every step on pages: a new provider admin (no clients yet)
onboards a client, sets up its 24/7 engagement with a chat queue and a back-office queue
that keeps its own split shifts (weekday mornings and afternoons), a site, ten agents
and their team lead from a CSV file (grants by the file), a team, a clearance and the
web chat channel; a back-office document is imported and a customer starts a chat; an
agent chooses a password from the invitation, presses Get next, is offered the chat
first (live channels before back office), replies and resolves. The screenshots are the
README's tour (docs/tour/, refreshed by running this test with TERCERO_TOUR=docs/tour)."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from tercero.delivery.work.models import WorkItem
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.tests.factories import ProviderFactory
from tests.browser.conftest import SCREENSHOTS, checked, open_context

# an end-to-end journey: on PostgreSQL too (Get next's claim there is its own statement)
pytestmark = [pytest.mark.browser, pytest.mark.every_engine]

# the README's pictures are refreshed with TERCERO_TOUR=docs/tour; other runs keep theirs
# beside the other screenshots, so a test run leaves the working tree as it was
TOUR = Path(os.environ.get("TERCERO_TOUR", SCREENSHOTS / "tour"))
CLIENT = "Northwind Traders Ltd"
ENGAGEMENT = "Northwind care"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main")).replace("\u2013", "-")


def _nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("load")


def _shot(page, name: str) -> None:
    """A tour picture: the visible 1280 x 800 of the page, not the whole length."""
    TOUR.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(TOUR / f"{name}.png"))


def _roster(path: Path) -> Path:
    lines = ["email,full_name,role,site,skills,languages,capacity,clients"]
    lines += [
        f"agent{n}@provider.example,Agent {n},agent,Manila,"
        f"customer_care:3; data_entry:3,en,chat:3; back_office:1,{CLIENT}"
        for n in range(1, 11)
    ]
    lines.append(f"lead@provider.example,Lena Lead,team_lead,Manila,,en,,{CLIENT}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _onboard_client(page, watch) -> None:
    _nav(page, "Settings")
    page.get_by_role("link", name="Clients: onboard a new client").click()
    checked(page)
    assert "No clients yet" in _text(page)
    # an empty form is refused in words
    watch.expected_422s.add("/settings/clients/")
    page.get_by_role("button", name="Onboard client").click()
    page.wait_for_load_state("load")
    assert "This field is required." in _text(page)
    page.get_by_label("Legal name").fill(CLIENT)
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Industry").select_option(label="Retail and e-commerce")
    page.get_by_role("button", name="Onboard client").click()
    page.wait_for_load_state("load")
    assert f"Client {CLIENT} onboarded" in _text(page)
    assert "United Kingdom (GB)" in _text(page)
    checked(page)
    _shot(page, "1-client-onboarded")
    # the same legal name again is refused in a sentence
    page.get_by_label("Legal name").fill(CLIENT)
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Industry").select_option(label="Retail and e-commerce")
    page.get_by_role("button", name="Onboard client").click()
    page.wait_for_load_state("load")
    assert "A client with this legal name exists." in _text(page)
    checked(page)


def _add_queue(page, name: str, work_type: str) -> None:
    page.get_by_label("Queue name").fill(name)
    page.get_by_label(work_type, exact=True).check()
    page.get_by_role("button", name="Add queue").click()
    page.wait_for_load_state("load")
    assert f"Queue {name} added." in _text(page)


def _add_target(page, measure: str, amount: str, unit: str) -> None:
    page.get_by_label("Measure", exact=True).select_option(label=measure)
    page.get_by_label("Priority", exact=True).select_option(label="Every priority")
    page.get_by_label("Target", exact=True).fill(amount)
    page.get_by_label("Unit", exact=True).select_option(label=unit)
    page.get_by_role("button", name="Save target").click()
    page.wait_for_load_state("load")


def _split_shift_queue(page, watch, detail_url: str) -> None:
    """The back office keeps its own split shifts, weekday mornings and afternoons with
    a lunch break, while the engagement (and its chat queue) runs round the clock."""
    page.get_by_role("link", name="Edit queue Back office").click()
    assert "Saved now: As the engagement" in _text(page)
    page.get_by_label("Its own shifts").check()
    page.get_by_label("Monday shift 1 starts").fill("08:00")
    page.get_by_label("Monday shift 1 ends").fill("12:00")
    page.get_by_label("Monday shift 2 starts").fill("11:00")
    page.get_by_label("Monday shift 2 ends").fill("17:30")
    watch.expected_422s.add("/queues/")
    page.get_by_role("button", name="Save queue hours").click()
    page.wait_for_load_state("load")
    # overlapping shifts are refused in words, and nothing is saved
    assert "Monday: the shift 11:00-17:30 overlaps 08:00-12:00." in _text(page)
    for day in WEEKDAYS:
        page.get_by_label(f"{day} shift 1 starts").fill("08:00")
        page.get_by_label(f"{day} shift 1 ends").fill("12:00")
        page.get_by_label(f"{day} shift 2 starts").fill("13:00")
        page.get_by_label(f"{day} shift 2 ends").fill("17:30")
    checked(page)
    page.locator("#queue-hours-heading").evaluate("e => e.scrollIntoView()")
    _shot(page, "3-queue-split-shifts")
    page.get_by_role("button", name="Save queue hours").click()
    page.wait_for_url(detail_url)
    saved = _text(page)
    said = "Hours of queue Back office saved: Monday to Friday: 08:00-12:00 and 13:00-17:30"
    assert said in saved
    assert "Hours 24/7" in saved  # the engagement's cover is unchanged


def _set_up_engagement(page, watch) -> str:
    _nav(page, "Engagements")
    page.get_by_role("link", name="New engagement").click()
    checked(page)
    page.get_by_label("Client").select_option(label=CLIENT)
    page.get_by_label("Name", exact=True).fill(ENGAGEMENT)
    page.get_by_label("Service line").select_option(label="Customer care")
    page.get_by_label("Office").select_option(label="Front office")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("24/7").check()
    page.get_by_role("button", name="Create engagement").click()
    page.wait_for_url("**/engagements/*/")
    detail_url = page.url
    assert "Hours 24/7" in _text(page)
    _add_queue(page, "Chats", "Customer ticket")
    _add_queue(page, "Back office", "Document to key")
    # chats answered within 30 seconds, other tickets first answered within 4 hours
    page.get_by_role("link", name="Edit SLA targets").click()
    _add_target(page, "Answer (live chat and phone)", "30", "Seconds")
    _add_target(page, "First response", "4", "Hours")
    page.goto(detail_url)
    assert "Answered within 30 seconds for every priority" in _text(page)
    _split_shift_queue(page, watch, detail_url)
    # through its life cycle to live
    for status in ("Scoping", "Proposed", "Transition", "Live"):
        page.get_by_label("Status", exact=True).select_option(label=status)
        page.get_by_label("Reason").fill(f"{status}: agreed with Northwind")
        page.get_by_role("button", name="Change status").click()
        page.wait_for_load_state("load")
    checked(page)
    _shot(page, "2-engagement")
    return detail_url


def _add_site(page) -> None:
    _nav(page, "Sites")
    checked(page)
    page.get_by_label("Name", exact=True).fill("Manila")
    page.get_by_label("Country (two letters)", exact=True).fill("PH")
    page.get_by_label("City", exact=True).fill("Manila")
    page.get_by_label("Time zone", exact=True).fill("Asia/Manila")
    page.get_by_label("Hourly cost", exact=True).fill("6.50")
    page.get_by_label("Currency", exact=True).fill("USD")
    page.get_by_role("button", name="Add site").click()
    page.wait_for_load_state("load")
    assert "Manila" in _text(page)


def _import_people_and_team(page, roster: Path) -> None:
    _nav(page, "People")
    page.get_by_role("link", name="Import staff from a CSV file").click()
    page.get_by_label("CSV file").set_input_files(str(roster))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/people/")
    assert "Imported 11 people from 11 lines. 11 invitations sent." in _text(page)
    checked(page)
    _shot(page, "4-people-imported")
    page.get_by_role("link", name="Teams").click()
    page.get_by_label("Team name", exact=True).fill("Northwind chat")
    page.get_by_label("Lead", exact=True).select_option(label="Lena Lead (Team lead)")
    page.get_by_role("button", name="Create team").click()
    page.wait_for_url("**/people/teams/*/")
    for n in range(1, 11):
        page.get_by_label("Add a member").select_option(label=f"Agent {n} (Manila)")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_load_state("load")
    checked(page)
    # Agent 1's page: the grant the file gave, and the clearance for the engagement
    page.get_by_role("link", name="Agent 1", exact=True).click()
    assert CLIENT in page.locator("#grants-heading + *").inner_text()
    page.get_by_label("Engagement", exact=True).select_option(label=f"{ENGAGEMENT} ({CLIENT})")
    page.get_by_role("button", name="Clear", exact=True).click()
    page.wait_for_load_state("load")
    checked(page)
    _shot(page, "5-agent-granted-cleared")


def _add_web_channel(page, live_server) -> None:
    page.goto(f"{live_server.url}/care/macros/")
    page.get_by_role("link", name="Web channels").click()
    page.get_by_role("link", name="New web channel").click()
    page.get_by_label("Engagement", exact=True).select_option(label=f"{ENGAGEMENT} · {CLIENT}")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Key:", exact=True).fill("northwind-help")
    page.get_by_label("Title:", exact=True).fill("Northwind help")
    page.get_by_role("button", name="Save web channel").click()
    page.get_by_text("Web channel saved.").wait_for()


def _import_back_office_item(page, live_server, tmp_path: Path) -> None:
    document = tmp_path / "documents.csv"
    document.write_text(
        "work_type,title,payload.document_ref,payload.fields_total\n"
        "capture.document,Order form PO-5521,PO-5521,12\n"
    )
    page.goto(f"{live_server.url}/work/import/")
    page.get_by_label("Queue").select_option(label=f"{CLIENT} — Back office")
    page.get_by_label("File", exact=True).set_input_files(str(document))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("load")
    assert "1 of 1 rows imported" in _text(page)
    checked(page)


def _agent_password_from_invitation(browser, live_server, watch):
    invitation = next(m for m in mail.outbox if "agent1@provider.example" in m.to)
    found = re.search(r"/account/welcome/[^/\s]+/[^/\s]+/", invitation.body)
    assert found is not None, invitation.body
    context = open_context(browser, live_server, watch)
    agent = context.new_page()
    agent.goto(live_server.url + found.group(0))
    agent.get_by_label("New password").fill("Night-owl shift 24/7 Manila")
    agent.get_by_label("The same password again").fill("Night-owl shift 24/7 Manila")
    agent.get_by_role("button", name="Set my password").click()
    agent.wait_for_load_state("load")
    assert "/account/welcome/" not in agent.url, _text(agent)
    return context, agent


def test_a_new_admin_staffs_a_shift_from_pages_and_an_agent_takes_the_chat_first(
    page, browser, live_server, watch, tmp_path
):
    ProviderFactory(name="Tercero Services")
    admin = UserFactory(email="owner@provider.example", role=Role.PROVIDER_ADMIN)
    page.goto(f"{live_server.url}/login/", timeout=60_000)  # the server's first request
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    _onboard_client(page, watch)
    _set_up_engagement(page, watch)
    _add_site(page)
    _import_people_and_team(page, _roster(tmp_path / "shift.csv"))
    _add_web_channel(page, live_server)
    _import_back_office_item(page, live_server, tmp_path)
    # a customer starts a chat on the hosted chat page
    customer_context = open_context(browser, live_server, watch)
    customer = customer_context.new_page()
    customer.goto(f"{live_server.url}/care/w/northwind-help/")
    customer.get_by_label("Your name").fill("Maria Santos")
    customer.get_by_label("E-mail (for a copy of our answer)").fill("maria@example.org")
    customer.get_by_label("How can we help?").fill("My order 4411 has not arrived.")
    customer.get_by_role("button", name="Start chat").click()
    customer.get_by_text("My order 4411 has not arrived.").first.wait_for()
    # both wait on the queue wallboard: the document since before the chat
    page.goto(f"{live_server.url}/ops/wallboard/")
    checked(page, watch)
    _shot(page, "6-wallboard")
    with all_clients_scope():
        waiting = set(WorkItem.objects.filter(status="queued").values_list("work_type", flat=True))
    assert waiting == {"capture.document", "care.ticket"}
    # the agent chooses a password from the invitation, signs in and asks for work
    agent_context, agent = _agent_password_from_invitation(browser, live_server, watch)
    agent.goto(f"{live_server.url}/login/")
    agent.get_by_label("E-mail").fill("agent1@provider.example")
    agent.get_by_label("Password").fill("Night-owl shift 24/7 Manila")
    agent.get_by_role("button", name="Sign in").click()
    agent.wait_for_url("**/work/")
    agent.get_by_role("button", name="Available").click()
    agent.get_by_role("button", name="Get next").click()
    agent.wait_for_url("**/work/items/*/")
    agent.locator("#conversation").get_by_text("My order 4411 has not arrived.").wait_for()
    agent.get_by_role("button", name="Start work").click()
    agent.get_by_label("Answer in the chat").check()
    agent.get_by_label("Message", exact=True).fill("Sorry! It left our depot today.")
    agent.get_by_role("button", name="Send", exact=True).click()
    agent.get_by_text("Reply sent to the customer.").wait_for()
    customer.get_by_text("It left our depot today.").wait_for()
    checked(agent, watch)
    agent.locator("#conversation").evaluate("e => (e.closest('section') || e).scrollIntoView()")
    _shot(agent, "7-agent-chat")
    agent.get_by_text("Resolve the ticket").click()
    agent.get_by_label("Resolution (what was done)").fill(
        "Told the customer the parcel left today."
    )
    agent.get_by_role("button", name="Resolve ticket").click()
    agent.get_by_text("Ticket resolved; the customer gets a satisfaction survey.").wait_for()
    checked(agent, watch)
    with all_clients_scope():
        chat = WorkItem.objects.get(channel="chat")
        document = WorkItem.objects.get(work_type="capture.document")
    assert chat.status == "resolved"
    assert document.status == "queued"
    customer_context.close()
    agent_context.close()
