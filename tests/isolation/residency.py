"""The isolation matrix's residency dimension for care (tests/test_isolation_residency.py):
client A's engagement that allows only onshore and nearshore sites, its care items from
every door (e-mail, chat, web form, phone, a support ticket), and people of A at an
onshore site (Austin) and an offshore one (Manila), all granted to A and cleared for the
engagement. Every care item holds personal data, so the offshore people must reach none
of them on any route, while the onshore ones do."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tercero.delivery.work.models import WorkItem
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.isolation.routes import OBJECT_ROUTES, PAGE_ROUTES

# Every item of the engagement carries this word in what a page or list would show.
MARKER = "Zephyrine"
CARE_TYPES = ["care.ticket", "support.ticket", "care.call"]
SKILLS = {"customer_care": 3, "technical_support": 3}
CAPACITY = {"email": 9, "chat": 9, "web_form": 9, "phone": 9}
# The ids an item route may name besides the item itself.
ITEM_PARAMETERS = ("item_id", "ticket_id", "attachment_id")


def item_routes() -> dict[str, tuple[str, list]]:
    """Every route of the matrix that names a work item (or a file of one), API and
    pages alike: route -> (kind, the requests the matrix tries)."""
    routes: dict[str, tuple[str, list]] = {}
    for kind, table in (("api", OBJECT_ROUTES), ("page", PAGE_ROUTES)):
        for route, tries in table.items():
            if any(f"<{name}>" in route or f"<int:{name}>" in route for name in ITEM_PARAMETERS):
                routes[route] = (kind, tries)
    return routes


def residency_world(tenant_a) -> dict:
    """The onshore-only engagement, its care items and the people at each site."""
    from tercero.delivery.work.tests.conftest import live_engagement, make_queue
    from tests.factories import site

    engagement = live_engagement(
        tenant_a.client,
        name="Health care",
        residency_allowed_shores=["onshore", "nearshore"],
    )
    queue = make_queue(engagement, name="Care", work_types=CARE_TYPES)
    austin = site(name="Austin", country="US", time_zone="America/Chicago", city="Austin")
    manila = site(name="Manila", country="PH", time_zone="Asia/Manila", city="Manila")
    people = {
        "onshore_agent": _person(engagement, austin, Role.AGENT),
        "onshore_lead": _person(engagement, austin, Role.TEAM_LEAD),
        "offshore_agent": _person(engagement, manila, Role.AGENT),
        "offshore_lead": _person(engagement, manila, Role.TEAM_LEAD),
    }
    with client_scope(clients=[tenant_a.client]):
        items = _care_items(tenant_a, engagement, queue)
        attachment = _attach(items["ticket"])
        open_ticket = _open_ticket(tenant_a)
    return {
        "open_ticket_id": open_ticket.pk,
        "client_id": tenant_a.client.pk,
        "engagement_id": engagement.pk,
        "queue_id": queue.pk,
        "items": {name: item.pk for name, item in items.items()},
        "attachment_id": attachment.pk,
        "people": people,
    }


def _person(engagement, at_site, role):
    """A person of `role` working from `at_site`, granted to the client and cleared."""
    from tercero.delivery.work.tests.conftest import make_agent

    agent = make_agent(engagement, site_=at_site, skills=SKILLS, capacity=CAPACITY)
    if role != Role.AGENT:
        agent.user.role = role
        with all_clients_scope():  # people are provider-wide rows
            agent.user.save()
    return agent.user


def _care_items(tenant, engagement, queue) -> dict[str, WorkItem]:
    """One care item from each way in, each naming MARKER where a list shows it."""
    from tercero.delivery.work import services as work
    from tercero.services.care import chat, cti, inbound
    from tercero.services.care.models import Mailbox, WebChannel
    from tercero.services.care.tests.test_inbound import mail

    client = tenant.client
    box = Mailbox.objects.create(
        client=client, engagement=engagement, queue=queue, address="help@zephyrine.example"
    )
    channel = WebChannel.objects.create(
        client=client, engagement=engagement, queue=queue, key="zephyrine-care"
    )
    endpoint, _ = cti.create_endpoint(actor=None, engagement=engagement, queue=queue)
    made = inbound.ingest(mailbox=box, raw=mail(subject=f"{MARKER} order missing"))
    return {
        "ticket": WorkItem.objects.get(pk=made.item_id),
        "chat": chat.start_chat(
            channel=channel, name="Ana", email="ana@example.org", message=f"{MARKER} bill?"
        ).ticket,
        "form": chat.submit_form(
            channel=channel,
            name="Joe",
            email="joe@example.org",
            subject=f"{MARKER} address change",
            message="I moved to 12 Elm St.",
        ),
        "call": cti.record_event(
            endpoint=endpoint,
            event={
                "event_id": "e1",
                "call_id": f"{MARKER}-1",
                "kind": "ringing",
                "from": "+1 555 0100",
            },
        ),
        "support": work.create_item(
            actor=None,
            queue=queue,
            work_type="support.ticket",
            payload={"subject": f"{MARKER} router reboots", "requester_name": "Kim"},
        ),
    }


def _open_ticket(tenant) -> WorkItem:
    """A ticket of another engagement of the client, one without a residency rule, which
    everyone may work on."""
    from tercero.delivery.work import services as work
    from tercero.delivery.work.tests.conftest import live_engagement, make_queue

    engagement = live_engagement(tenant.client, name="Retail care")
    queue = make_queue(engagement, name="Retail", work_types=CARE_TYPES)
    return work.create_item(
        actor=None, queue=queue, work_type="care.ticket", payload={"subject": "Open question"}
    )


def _attach(item: WorkItem):
    from tercero.delivery.work import services as work

    return work.attach(
        actor=None,
        item=item,
        upload=SimpleUploadedFile("letter.pdf", b"%PDF-1.4 zephyrine letter", "application/pdf"),
    )


def care_snapshot() -> tuple:
    """What an offshore request must not change: items, comments, the conversation,
    files, reveal requests, audit events and assignments."""
    from tercero.delivery.work.models import Assignment, Attachment
    from tercero.platform.security.models import RevealGrant
    from tercero.services.care.models import Message
    from tests.isolation.worlds import snapshot, work_snapshot

    with all_clients_scope():
        return (
            snapshot(),
            work_snapshot(),
            Message.objects.count(),
            Attachment.objects.count(),
            RevealGrant.objects.count(),
            list(Assignment.objects.values_list("id", "agent_id", "ended_at")),
        )
