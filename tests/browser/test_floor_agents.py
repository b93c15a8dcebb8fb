"""A team lead watches the floor in a browser: from the live floor to the agents of their
team, narrowed by state and by a name, then to the queue wallboard, which refreshes by
itself, on a TV-sized screen and on a phone."""

from playwright.sync_api import expect

from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.services import add_to_team, create_team
from tercero.platform.identity.tests.factories import PASSWORD
from tests.browser.conftest import add_item, checked, open_context, screenshot, sign_in


def _team(desk):
    lead = desk["tenant"].team_lead
    team = create_team(
        actor=lead, provider=desk["tenant"].client.provider, name="Keyers", lead=lead
    )
    for agent in desk["agents"]:
        add_to_team(actor=lead, team=team, agent=agent)
    Agent.objects.filter(pk=desk["agents"][1].pk).update(presence="break")
    return team


def _rows(page) -> list[str]:
    return page.locator('#floor-agents td[data-label="Agent"]').all_inner_texts()


def test_a_lead_narrows_the_floor_per_agent_and_opens_the_wallboard(page, live_server, watch, desk):
    _team(desk)
    add_item(desk)
    lead = desk["tenant"].team_lead
    sign_in(page, live_server, lead, PASSWORD)
    page.goto(live_server.url + "/ops/")
    page.get_by_role("link", name="Agents on the floor").click()
    checked(page, watch)
    assert sorted(_rows(page)) == sorted(a.user.full_name for a in desk["agents"])
    # the state filter keeps the agent on a break
    page.get_by_label("State").select_option(label="On a break")
    page.get_by_role("button", name="Apply").click()
    checked(page, watch)
    assert _rows(page) == ["Sam Second"]
    assert page.locator('#floor-agents td[data-label="State"]').inner_text() == "On a break"
    # a name that matches nobody says so
    page.get_by_label("Search name or e-mail").fill("nobody")
    page.get_by_role("button", name="Apply").click()
    assert "No agents in the teams you lead match." in page.locator("#floor-agents").inner_text()
    # the export link is offered to the lead
    assert page.get_by_role("link", name="Export CSV").is_visible()
    screenshot(page, "floor-agents")
    # the wallboard counts the waiting item, and a new one without reloading
    page.get_by_role("link", name="Queue wallboard").click()
    checked(page, watch)
    tile = page.locator(f"#wall-queue-{desk['queue'].pk}")
    assert "Waiting\n1" in tile.inner_text()
    add_item(desk, document_ref="PO-78")
    expect(page.locator("#wall-waiting")).to_have_text("2", timeout=20_000)
    assert page.url.endswith("/ops/wallboard/")


def test_the_wallboard_fits_a_tv_and_a_phone(browser, live_server, watch, desk):
    add_item(desk)
    for name, size in (("tv", (1920, 1080)), ("phone", (390, 844))):
        page = open_context(browser, live_server, watch).new_page()
        page.set_viewport_size({"width": size[0], "height": size[1]})
        sign_in(page, live_server, desk["tenant"].team_lead, PASSWORD)
        page.goto(live_server.url + "/ops/wallboard/")
        checked(page, watch)
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        figure = page.locator("#wall-waiting")
        # large type: the figures stand at 40 px or more on either screen
        height = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#wall-waiting')).fontSize)"
        )
        assert height >= 40, height
        assert figure.inner_text() == "1"
        screenshot(page, f"wallboard-{name}")
        page.context.close()
