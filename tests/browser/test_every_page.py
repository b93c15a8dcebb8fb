"""Every page, as every kind of user: the accessibility smoke check passes, the console
stays clean, nothing is fetched from elsewhere, the navigation offers only pages the
role may open, every visible link opens for that role, the text is in plain words (no
Python values, no minor units, no stored codes), and a 390 px phone never scrolls
sideways."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkItem
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import PASSWORD, UserFactory
from tercero.platform.tenancy.scoping import client_scope
from tests.browser.conftest import add_item, checked, open_context, screenshot, sign_in
from tests.browser.plain_words import plain_words_problems


@pytest.fixture
def world(desk, tenant_a):
    """The desk with work in every state: open, at risk, resolved on time and late."""
    items = [add_item(desk, document_ref=f"PO-{n}", fields_keyed=5) for n in range(6)]
    with client_scope(clients=[tenant_a.client]):
        work.comment(actor=tenant_a.team_lead, item=items[0], body="Checked the scan.")
        work.comment(actor=tenant_a.client_user, item=items[0], body="Thanks!", internal=False)
        # agents open only what routing or a lead gave them
        work.assign(actor=tenant_a.team_lead, item=items[2], agent=desk["agents"][0])
        now = timezone.now()
        for index, item in enumerate(items[3:]):
            WorkItem.objects.filter(pk=item.pk).update(
                status="resolved", resolved_at=now - timedelta(days=index), sla_met=index != 1
            )
    admin = UserFactory(email="root@provider.example", role=Role.PROVIDER_ADMIN)
    from tercero.platform.identity.models import Grant

    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=admin, client=tenant_a.client, reason="fixture")
    from tercero.services.payroll.tests.factories import finalised, hire, uk_group

    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "E-1", full_name="Olivia Grant")
        run = finalised(tenant_a, group)
    payroll = {"run": run, "employee": employee}
    return {**desk, "item": items[0], "agent_item": items[2], "admin": admin, **payroll}


def _pages(world) -> dict[str, list[str]]:
    item, engagement, queue = world["item"], world["engagement"], world["queue"]
    agent = world["agents"][0]
    staff = [
        "/work/",
        "/work/items/",
        "/work/items/?status=queued&sort=-priority",
        f"/work/items/{item.pk}/",
        "/ops/sla/",
        "/care/kb/",
        "/engagements/",
        f"/engagements/{engagement.pk}/",
        "/agents/",
        f"/agents/{agent.pk}/",
        "/sites/",
        "/account/password/",
        "/?stay=1",
    ]
    return {
        "agent": [
            *(
                f"/work/items/{world['agent_item'].pk}/"
                if page == f"/work/items/{item.pk}/"
                else page
                for page in staff
            ),
            "/payroll/hr/",
        ],
        "team_lead": [
            *staff,
            "/ops/",
            "/ops/security/",
            "/work/contact/",
            "/care/reports/?group_by=agent",
            "/account/mfa/",
            "/payroll/runs/",
            f"/payroll/runs/{world['run'].pk}/",
            "/payroll/employees/",
            f"/payroll/employees/{world['employee'].pk}/",
            "/payroll/hr/",
            "/payroll/groups/",
            f"/payroll/groups/{world['run'].pay_group_id}/",
            f"/payroll/groups/{world['run'].pay_group_id}/rules/",
            f"/payroll/groups/{world['run'].pay_group_id}/rules/1/",
        ],
        "admin": [
            "/ops/",
            "/care/automations/",
            f"/care/automations/new/?engagement={engagement.pk}",
            "/care/mailboxes/",
            f"/care/macros/new/?engagement={engagement.pk}",
            "/engagements/new/",
            f"/engagements/{engagement.pk}/edit/",
            f"/engagements/{engagement.pk}/hours/",
            f"/engagements/{engagement.pk}/calendar/",
            f"/engagements/{engagement.pk}/sla/",
            f"/engagements/{engagement.pk}/reach/",
            f"/engagements/{engagement.pk}/queues/{queue.pk}/",
            "/sites/",
            f"/agents/{agent.pk}/",
        ],
        "client_admin": [
            "/portal/",
            "/portal/items/",
            f"/portal/items/{item.pk}/",
            f"/portal/submit/{queue.pk}/",
            "/portal/sla/",
            "/portal/users/",
            "/portal/audit/",
            "/care/reports/",
            "/account/password/",
            "/payroll/runs/",
            f"/payroll/runs/{world['run'].pk}/",
            f"/payroll/employees/{world['employee'].pk}/",
            f"/payroll/groups/{world['run'].pay_group_id}/rules/1/",
        ],
        "client_user": [
            "/portal/",
            "/portal/items/",
            f"/portal/items/{item.pk}/",
            "/care/reports/",
            "/portal/sla/",
        ],
    }


def _user(world, role: str):
    tenant = world["tenant"]
    return {
        "agent": tenant.agent,
        "team_lead": tenant.team_lead,
        "admin": world["admin"],
        "client_admin": tenant.client_admin,
        "client_user": tenant.client_user,
    }[role]


@pytest.mark.parametrize("role", ["agent", "team_lead", "admin", "client_admin", "client_user"])
def test_every_page_passes_the_smoke_check(browser, live_server, watch, world, role):
    page = open_context(browser, live_server, watch).new_page()
    sign_in(page, live_server, _user(world, role), PASSWORD)
    problems, statuses = [], {}
    for path in _pages(world)[role]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        # the CSP header carries a nonce, and every script and stylesheet uses it
        csp = response.headers["content-security-policy"]
        nonce = csp.split("'nonce-")[1].split("'")[0]
        unsigned = page.locator("script, link[rel=stylesheet]").evaluate_all(
            "tags => tags.filter(tag => !tag.hasAttribute('nonce')).map(tag => tag.outerHTML)"
        )
        assert unsigned == [], path
        assert f"'nonce-{nonce}'" in csp
        checked(page, watch)
        problems += [
            f"{path}: {found}" for found in plain_words_problems(page, live_server.url, statuses)
        ]
    assert problems == [], "\n".join(problems)
    # the navigation offers only pages this role can open
    links = page.locator("nav.site-nav a").evaluate_all("links => links.map(a => a.href)")
    for href in links:
        if "/admin/" in href:
            continue
        assert page.goto(href).status == 200, href
    if role in {"team_lead", "client_user"}:
        page.goto(live_server.url + _pages(world)[role][-1])
        screenshot(page, f"pages-{role}")


@pytest.mark.parametrize("role", ["agent", "client_user"])
def test_a_phone_never_scrolls_sideways(browser, live_server, watch, world, role):
    context = open_context(browser, live_server, watch)
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, _user(world, role), PASSWORD)
    for path in _pages(world)[role][:5]:
        page.goto(live_server.url + path)
        checked(page, watch)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    screenshot(page, f"phone-{role}")


def test_navigation_differs_by_role(browser, live_server, watch, world):
    seen = {}
    for role in ("agent", "client_user"):
        page = open_context(browser, live_server, watch).new_page()
        sign_in(page, live_server, _user(world, role), PASSWORD)
        seen[role] = page.locator("nav.site-nav a").all_inner_texts()
    assert "Workspace" in seen["agent"]
    assert "Our services" not in seen["agent"]
    assert "Floor" not in seen["agent"]
    assert "Our items" in seen["client_user"]
    assert not {"Workspace", "Floor", "Engagements", "Agents", "Administration"} & set(
        seen["client_user"]
    )


def test_the_sign_in_page_and_a_missing_page_pass_too(page, live_server, watch):
    page.goto(live_server.url + "/login/")
    checked(page, watch)
    watch.expected_404s.add(live_server.url + "/nowhere/")
    response = page.goto(live_server.url + "/nowhere/")
    assert response.status in (302, 404)
    checked(page, watch)


def test_keyboard_reaches_the_main_actions(page, live_server, watch, world):
    sign_in(page, live_server, world["tenant"].agent, PASSWORD)
    # the first Tab lands on "Skip to content", which moves focus to the main area
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # focus is visible: an outline is drawn on a focused button
    page.locator("#get-next").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


NAV_LINKS = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
HREFS = re.compile(r'href="([^"#]+)"')


@pytest.mark.every_engine
def test_every_page_and_nav_link_opens_for_each_role_on_every_engine(client, world):
    # the browser tests run on SQLite alone: the same pages and the links of the
    # navigation, rendered through the test client, run on every engine
    for role in ("agent", "team_lead", "admin", "client_admin", "client_user"):
        client.force_login(_user(world, role))
        listed = set(_pages(world)[role])
        linked: set[str] = set()
        for path in sorted(listed):
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            nav = NAV_LINKS.search(response.content.decode())
            assert nav is not None, (role, path)
            linked |= set(HREFS.findall(nav.group()))
        assert linked - listed, f"{role}: the navigation links to pages beyond those listed"
        for path in sorted(linked - listed):
            if path.startswith("/") and not path.startswith("/admin/"):
                assert client.get(path).status_code == 200, (role, path)
