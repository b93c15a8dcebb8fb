"""Data residency on the care desk (issue 19, defect 1): every care item holds personal
data (the requester's name, address and phone, the conversation), so an engagement that
allows only onshore and nearshore sites keeps its tickets, chats and calls away from an
offshore site on every path: routing (pull and push), manual assignment, lists, search,
the item and care pages, replies, the API and the care report."""

import csv
import importlib
import io
import json

import pytest
from django.apps import apps
from django.core import mail as outbox
from tests.factories import site

from tercero.delivery.work import services as work
from tercero.delivery.work.models import Assignment, WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.delivery.workforce.services import set_presence
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.care import chat, cti, inbound, services
from tercero.services.care.models import Mailbox, Message, WebChannel
from tercero.services.care.tests.test_inbound import mail

JSON = "application/json"
CARE_TYPES = ["care.ticket", "support.ticket", "care.call"]
SKILLS = {"customer_care": 3, "technical_support": 3}
CAPACITY = {"email": 9, "chat": 9, "web_form": 9, "phone": 9}
MIGRATION = importlib.import_module(
    "tercero.services.care.migrations.0007_care_items_hold_personal_data"
)


@pytest.fixture
def onshore_only(tenant_a):
    """An engagement of a US client that allows onshore and nearshore sites only, its
    mailbox and web channel, and an agent at an onshore (Austin) and an offshore
    (Manila) site."""
    engagement = live_engagement(
        tenant_a.client, name="Health care", residency_allowed_shores=["onshore", "nearshore"]
    )
    queue = make_queue(engagement, name="Care", work_types=CARE_TYPES)
    with client_scope(clients=[tenant_a.client]):
        box = Mailbox.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, address="help@acme.example"
        )
        channel = WebChannel.objects.create(
            client=tenant_a.client, engagement=engagement, queue=queue, key="acme-care"
        )
    austin = site(name="Austin", country="US", time_zone="America/Chicago", city="Austin")
    manila = site(name="Manila", country="PH", time_zone="Asia/Manila", city="Manila")
    onshore = make_agent(engagement, site_=austin, skills=SKILLS, capacity=CAPACITY)
    offshore = make_agent(engagement, site_=manila, skills=SKILLS, capacity=CAPACITY)
    return {
        "engagement": engagement,
        "queue": queue,
        "mailbox": box,
        "channel": channel,
        "onshore": onshore,
        "offshore": offshore,
    }


def _by_every_door(desk, tenant) -> list[WorkItem]:
    """One care item from each way in: e-mail, chat, contact form, phone, the engine's
    create (a support ticket) and a split."""
    made = [WorkItem.objects.get(pk=inbound.ingest(mailbox=desk["mailbox"], raw=mail()).item_id)]
    made.append(
        chat.start_chat(
            channel=desk["channel"], name="Ana", email="ana@example.org", message="My bill?"
        ).ticket
    )
    made.append(
        chat.submit_form(
            channel=desk["channel"],
            name="Joe",
            email="joe@example.org",
            subject="Address change",
            message="I moved to 12 Elm St.",
        )
    )
    endpoint, _ = cti.create_endpoint(
        actor=None, engagement=desk["engagement"], queue=desk["queue"]
    )
    made.append(
        cti.record_event(
            endpoint=endpoint,
            event={"event_id": "e1", "call_id": "c-1", "kind": "ringing", "from": "+1 555 0100"},
        )
    )
    made.append(
        work.create_item(
            actor=None,
            queue=desk["queue"],
            work_type="support.ticket",
            payload={"subject": "Router keeps rebooting", "requester_name": "Kim"},
        )
    )
    first = made[0]
    inbound.ingest(
        mailbox=desk["mailbox"],
        raw=mail(
            subject=f"Re: Where is my order? {inbound.token_of(first.pk)}",
            body="Also, my other order 5522.",
            message_id="<m2@example.org>",
        ),
    )
    second = Message.objects.get(item=first, message_id="<m2@example.org>")
    made.append(
        services.split(actor=tenant.team_lead, ticket=first, message=second, subject="Order 5522")
    )
    return made


def _team_lead_at(agent):
    agent.user.role = "team_lead"
    with all_clients_scope():  # people are provider-wide rows
        agent.user.save()
    return agent.user


def test_every_care_item_is_created_as_holding_personal_data(onshore_only, tenant_a):
    # given an engagement allowing onshore and nearshore sites only
    with client_scope(clients=[tenant_a.client]):
        # when items come in by every door
        made = _by_every_door(onshore_only, tenant_a)
        # then each holds personal data, and cannot be edited into holding none
        assert sorted(i.work_type for i in made) == sorted(
            ["care.ticket"] * 4 + ["care.call", "support.ticket"]
        )
        assert [WorkItem.objects.get(pk=i.pk).personal_data for i in made] == [True] * 6
        item = WorkItem.objects.get(pk=made[0].pk)
        with pytest.raises(InvalidInput) as refused:
            work.update_item(
                actor=tenant_a.team_lead,
                item=item,
                version=item.version,
                changes={"personal_data": False},
            )
        assert refused.value.fields == {"personal_data": "always true for this work type"}
        assert WorkItem.objects.get(pk=item.pk).personal_data is True


def test_an_offshore_agent_is_never_routed_a_care_item_of_an_onshore_only_engagement(
    onshore_only, tenant_a, client
):
    with client_scope(clients=[tenant_a.client]):
        made = _by_every_door(onshore_only, tenant_a)
    # when the offshore agent pulls
    client.force_login(onshore_only["offshore"].user)
    pulled = client.post("/api/v1/agents/me/next", content_type=JSON)
    # then nothing is eligible, while the onshore agent gets every item in turn
    assert pulled.status_code == 204
    client.force_login(onshore_only["onshore"].user)
    taken = [client.post("/api/v1/agents/me/next", content_type=JSON).json()["id"] for _ in made]
    assert sorted(taken) == sorted(i.pk for i in made)
    with client_scope(clients=[tenant_a.client]):
        assert not Assignment.objects.filter(agent=onshore_only["offshore"]).exists()


def test_a_push_queue_never_offers_a_care_item_to_an_offshore_agent(onshore_only, tenant_a):
    # given a push queue where only the offshore agent is available
    push = make_queue(
        onshore_only["engagement"], name="Push", work_types=CARE_TYPES, routing="push"
    )
    set_presence(agent=onshore_only["onshore"], presence="offline")
    with client_scope(clients=[tenant_a.client]):
        Mailbox.objects.filter(pk=onshore_only["mailbox"].pk).update(queue=push)
        box = Mailbox.objects.get(pk=onshore_only["mailbox"].pk)
        # when a customer mails in
        ticket = WorkItem.objects.get(pk=inbound.ingest(mailbox=box, raw=mail()).item_id)
        # then it waits in the queue rather than going offshore
        assert (ticket.status, ticket.assignee_id) == ("queued", None)
        assert not Assignment.objects.filter(agent=onshore_only["offshore"]).exists()


def test_a_team_lead_cannot_assign_a_care_item_to_an_offshore_agent(onshore_only, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        ticket = WorkItem.objects.get(
            pk=inbound.ingest(mailbox=onshore_only["mailbox"], raw=mail()).item_id
        )
        with pytest.raises(InvalidInput) as refused:
            work.assign(actor=tenant_a.team_lead, item=ticket, agent=onshore_only["offshore"])
        assert any("residency" in reason for reason in refused.value.fields["reasons"])
        assert WorkItem.objects.get(pk=ticket.pk).assignee_id is None
        done = work.assign(actor=tenant_a.team_lead, item=ticket, agent=onshore_only["onshore"])
        assert done.assignee_id == onshore_only["onshore"].pk


def test_an_offshore_team_lead_neither_sees_nor_answers_care_items_on_any_path(
    onshore_only, tenant_a, client, django_capture_on_commit_callbacks
):
    # given care items and a team lead working from the offshore site
    with client_scope(clients=[tenant_a.client]):
        made = _by_every_door(onshore_only, tenant_a)
        lead = _team_lead_at(onshore_only["offshore"])
        messages_before = Message.objects.count()
    ticket = made[0]
    client.force_login(lead)
    # lists, search and exports
    assert client.get("/api/v1/work-items").json()["results"] == []
    listing = client.get("/work/items/?q=order").content.decode()
    assert "Where is my order?" not in listing
    assert "Where is my order?" not in client.get("/api/v1/work-items.csv").content.decode()
    # the item, its conversation and the care panel
    for item in made:
        assert client.get(f"/api/v1/work-items/{item.pk}").status_code == 404
        assert client.get(f"/work/items/{item.pk}/").status_code == 404
        assert client.get(f"/care/tickets/{item.pk}/").status_code == 404
        assert client.get(f"/api/v1/care/tickets/{item.pk}/messages").status_code == 404
    # replies, by page and by API, are refused and send nothing
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/care/tickets/{ticket.pk}/reply/", {"body": "Hi", "kind": "reply"})
        api = client.post(
            f"/api/v1/care/tickets/{ticket.pk}/messages",
            json.dumps({"kind": "reply", "body": "Hi"}),
            content_type=JSON,
        )
    assert (page.status_code, api.status_code) == (404, 404)
    assert outbox.outbox == []
    with client_scope(clients=[tenant_a.client]):
        assert Message.objects.count() == messages_before


def test_the_care_report_counts_only_what_the_viewers_site_may_see(onshore_only, tenant_a, client):
    with client_scope(clients=[tenant_a.client]):
        made = _by_every_door(onshore_only, tenant_a)
        offshore_lead = _team_lead_at(onshore_only["offshore"])
        onshore_lead = _team_lead_at(onshore_only["onshore"])
    query = f"/api/v1/care/reports?client_id={tenant_a.client.pk}"
    # when each team lead reads the report on the API and the page
    page = f"/care/reports/?client={tenant_a.client.pk}&format=csv"
    client.force_login(offshore_lead)
    offshore = (client.get(query).json()["total"]["volume"], _page_total(client.get(page)))
    client.force_login(onshore_lead)
    onshore = (client.get(query).json()["total"]["volume"], _page_total(client.get(page)))
    # then the offshore site counts none of the engagement's items
    assert offshore == (0, "0")
    assert onshore == (len(made), str(len(made)))


def _page_total(response) -> str:
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[-1][0] == "Total"
    return rows[-1][rows[0].index("Tickets")]


def test_the_migration_marks_care_items_stored_as_holding_no_personal_data(onshore_only, tenant_a):
    with client_scope(clients=[tenant_a.client]):
        made = _by_every_door(onshore_only, tenant_a)
        other = make_queue(
            onshore_only["engagement"], name="Back office", work_types=["capture.document"]
        )
        form = work.create_item(
            actor=None,
            queue=other,
            work_type="capture.document",
            payload={"document_ref": "scan-1.pdf", "fields_total": 3},
        )
        WorkItem.objects.all().update(personal_data=False)  # as stored before the fix
    # when
    MIGRATION.mark_care_items(apps, None)
    # then every care item holds personal data again, other work is left as it was
    with client_scope(clients=[tenant_a.client]):
        assert set(
            WorkItem.objects.filter(pk__in=[i.pk for i in made]).values_list(
                "personal_data", flat=True
            )
        ) == {True}
        assert WorkItem.objects.get(pk=form.pk).personal_data is False
