"""What a lead and a client read on the item pages: histories in words, a reassign that
offers only agents who may take the item, and refusals as sentences."""

import pytest
from django.utils import timezone

from tercero.delivery.work.models import WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import add_item, live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Keying")
    queue = make_queue(engagement, name="Forms")
    return engagement, queue


def _sla_events(item):
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


def test_the_staff_history_names_sla_events_in_words(client, tenant_a, desk):
    # given an item whose clock went at risk and then past its due time
    item = add_item(desk[1])
    _sla_events(item)
    client.force_login(tenant_a.team_lead)
    # when the lead opens it
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    # then the history says so in words, never a cut code
    assert "<strong>SLA at risk</strong>" in page
    assert "<strong>SLA breached</strong>" in page
    assert "<strong>Created</strong>" in page
    assert "T_risk" not in page
    assert "<strong>Reached</strong>" not in page


def test_the_portal_history_names_events_in_the_clients_words(client, tenant_a, desk):
    item = add_item(desk[1])
    _sla_events(item)
    client.force_login(tenant_a.client_user)
    page = client.get(f"/portal/items/{item.pk}/").content.decode()
    assert "UTC — Received" in page
    assert "UTC — Past its agreed time" in page
    assert "T_risk" not in page
    assert "Reached" not in page
    assert "at risk" not in page.lower().split("history")[-1]


def test_reassign_offers_only_agents_who_may_take_the_item(client, tenant_a, desk):
    engagement, queue = desk
    item = add_item(queue, work_type="test.form")  # needs keying at level 1
    skilled = make_agent(engagement, skills={"keying": 2}, email="kim@provider.example")
    make_agent(engagement, skills={}, email="noskill@provider.example")
    make_agent(email="uncleared@provider.example")
    with client_scope(clients=[tenant_a.client]):
        from tercero.platform.identity.models import Grant

        Grant.objects.get_or_create(user=make_agent().user, client=tenant_a.client)
    client.force_login(tenant_a.team_lead)
    # when the lead opens the item
    page = client.get(f"/work/items/{item.pk}/").content.decode()
    # then the picker holds the one eligible agent, with site, load and skill
    picker = page.split('id="assign-agent"')[1].split("</select>")[0]
    assert picker.count("<option") == 1
    assert f'value="{skilled.pk}"' in picker
    assert "Manila · 0 of 10 open · keying 2 · Available" in picker
    assert "1 in all" in page


def test_reassign_finds_agents_by_name_and_site(client, tenant_a, desk):
    engagement, queue = desk
    item = add_item(queue)
    make_agent(engagement, email="ana@provider.example")
    bruno = make_agent(engagement, email="bruno@provider.example")
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/work/items/{item.pk}/?agent_q=BRUNO").content.decode()
    picker = page.split('id="assign-agent"')[1].split("</select>")[0]
    assert picker.count("<option") == 1
    assert f'value="{bruno.pk}"' in picker
    page = client.get(f"/work/items/{item.pk}/?site={bruno.site_id + 1000}").content.decode()
    assert "No agent who may take this item matches." in page


def test_a_refused_assignment_reads_as_sentences(client, tenant_a, desk):
    # given an agent granted to the client but not cleared for the engagement
    _engagement, queue = desk
    item = add_item(queue, work_type="test.form")
    outsider = make_agent(email="new@provider.example")
    with client_scope(clients=[tenant_a.client]):
        from tercero.platform.identity.models import Grant

        Grant.objects.get_or_create(user=outsider.user, client=tenant_a.client)
    client.force_login(tenant_a.team_lead)
    # when the lead forces the assignment anyway
    response = client.post(f"/work/items/{item.pk}/assign/", {"agent": outsider.pk}, follow=True)
    # then the reasons are sentences, and nothing changed
    page = response.content.decode()
    assert "may not take this item. The agent is not cleared for this engagement." in page
    assert "Needs the skill “keying” at level 1; the agent has 0." in page
    assert "reasons:" not in page
    assert "[&#x27;" not in page
    with all_clients_scope():
        assert WorkItem.objects.get(pk=item.pk).assignee_id is None
