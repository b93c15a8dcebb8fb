"""Browser tests: Playwright driving the machine's Chromium (never a downloaded one)
against a live Tercero server on a real database.

Every page a test opens is checked by `checked(page)`: an accessibility smoke check
(language, one h1, no skipped heading levels, a name for every control, link and
button, unique ids, text contrast at least 4.5:1 on its real background). Every test
also fails on any console error (CSP violations show up there) and on any request that
leaves the server under test.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Debian's headless shell (package chromium-headless-shell, tools/system-packages): the
# same engine as the browser without its window, which costs a third less CPU per page.
CHROMIUM = os.environ.get("TERCERO_CHROMIUM", "/usr/bin/chromium-headless-shell")
SCREENSHOTS = Path(os.environ.get("TERCERO_SCREENSHOTS", "var/screenshots"))

if not shutil.which(CHROMIUM):
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"Chromium is required for the browser tests ({CHROMIUM}).")
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

from tercero.delivery.work import services as work  # noqa: E402
from tercero.delivery.work.models import WorkItem  # noqa: E402
from tercero.delivery.workforce.services import clear_agent, create_agent  # noqa: E402
from tercero.platform.identity.models import Grant  # noqa: E402
from tercero.platform.identity.roles import Role  # noqa: E402
from tercero.platform.identity.tests.factories import UserFactory  # noqa: E402
from tercero.platform.tenancy.scoping import client_scope  # noqa: E402
from tests.factories import engagement_for, site  # noqa: E402

A11Y_CHECK = (Path(__file__).parent / "a11y.js").read_text()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@dataclass
class Watch:
    origin: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    pages_checked: list[str] = field(default_factory=list)
    expected_404s: set[str] = field(default_factory=set)
    # pages a test expects to refuse a form with 422 (the form shown again with reasons)
    expected_422s: set[str] = field(default_factory=set)

    def unexpected_errors(self) -> list[str]:
        """Console errors, less the browser's note about a 404 or 422 the test asked for."""
        return [
            error
            for error in self.console_errors
            if not (
                ("status of 404" in error and any(u in error for u in self.expected_404s))
                or ("status of 422" in error and any(u in error for u in self.expected_422s))
            )
        ]


def open_context(browser, live_server, watch: Watch, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(15_000)

    def on_request(request):
        url = request.url
        if not (url.startswith(watch.origin) or url.startswith("data:")):
            watch.foreign_requests.append(url)

    def on_console(message):
        if message.type == "error":
            watch.console_errors.append(f"{message.text} @ {message.location}")

    context.on("request", on_request)
    context.on("console", on_console)
    context.on("weberror", lambda error: watch.console_errors.append(str(error.error)))
    return context


@pytest.fixture
def watch(live_server):
    found = Watch(origin=live_server.url)
    yield found
    assert found.unexpected_errors() == [], found.console_errors
    assert found.foreign_requests == [], found.foreign_requests


@pytest.fixture
def page(browser, live_server, watch):
    context = open_context(browser, live_server, watch)
    opened = context.new_page()
    yield opened
    context.close()


def checked(page, watch: Watch | None = None) -> dict:
    """Run the accessibility smoke check on the page as it is now; fail on problems."""
    page.wait_for_load_state("load")
    result = page.evaluate(A11Y_CHECK)
    assert result["problems"] == [], (page.url, result["problems"])
    if watch is not None:
        watch.pages_checked.append(page.url)
    return result


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, live_server, user, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    checked(page)
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert "/login/" not in page.url, page.content()[:2000]


ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


def live_care_queue(tenant, *, name: str):
    """A live, 24/7 customer-care engagement of `tenant` and one queue of care tickets on
    it: the desk the care browser tests start from."""
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
        queue = work.create_queue(
            actor=None, engagement=engagement, name=name, work_types=["care.ticket"]
        )
    return engagement, queue


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def desk(tenant_a, tenant_b):
    """Client A's live keying desk: a pull queue, two cleared agents at Manila."""
    engagement = engagement_for(
        tenant_a.client,
        name="Order keying",
        status="live",
        hours_of_cover="24_7",
        working_hours=ALWAYS,
        service_line="data_processing",
        office="back",
        sla_targets=[{"metric": "turnaround", "target_seconds": 4 * 3600}],
    )
    manila = site()
    second_user = UserFactory(email="second@acme.example", full_name="Sam Second", role=Role.AGENT)
    with client_scope(clients=[tenant_a.client]):
        Grant.objects.create(user=second_user, client=tenant_a.client, reason="fixture")
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        agents = []
        for user in (tenant_a.agent, second_user):
            agent = create_agent(
                actor=None, user=user, site=manila, skills={"data_entry": 3}, languages=["en"]
            )
            clear_agent(
                actor=None,
                agent=agent,
                engagement=engagement,
                reachable_client_ids=[tenant_a.client.pk],
            )
            agents.append(agent)
    return {"engagement": engagement, "queue": queue, "agents": agents, "tenant": tenant_a}


def add_item(desk, **payload) -> WorkItem:
    with client_scope(clients=[desk["tenant"].client]):
        return work.create_item(
            actor=None,
            queue=desk["queue"],
            work_type="capture.document",
            payload={"document_ref": "PO-77", "fields_total": 5, **payload},
        )
