"""The ticket panel greets the customer by name for the agent handling the conversation
(the name is theirs to use); others, and every other personal field, stay masked."""

from tercero.delivery.work import services as work
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.care.tests.test_desk import _ticket, _working, desk  # noqa: F401


def _panel(client, user, ticket) -> str:
    client.force_login(user)
    response = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_agent_handling_the_ticket_sees_the_customers_name_and_no_more(
    desk,  # noqa: F811
    tenant_a,
    client,
):
    # given a ticket from Maria Santos, started by its agent
    ticket = _working(_ticket(desk), tenant_a)
    holder = ticket.assignee.user
    # when the agent opens the panel
    panel = _panel(client, holder, ticket)
    # then the name is there in clear, the e-mail address is not, and the read is audited
    assert 'id="customer-name"' in panel
    assert "Maria Santos" in panel
    assert "maria@example.org" not in panel
    with client_scope(clients=[tenant_a.client]):
        shown = AuditEvent.objects.filter(action="care.customer_name.shown", object_id=ticket.pk)
        assert shown.count() == 1
        assert shown.get().actor_id == holder.pk


def test_a_lead_or_another_agent_sees_only_the_mask(desk, tenant_a, client):  # noqa: F811
    # given a ticket held by one agent
    ticket = _working(_ticket(desk), tenant_a)
    # when the team lead opens the panel
    panel = _panel(client, tenant_a.team_lead, ticket)
    # then no name is shown and nothing is recorded as shown
    assert "Maria Santos" not in panel
    assert 'id="customer-name"' not in panel
    with client_scope(clients=[tenant_a.client]):
        assert not AuditEvent.objects.filter(action="care.customer_name.shown").exists()


def test_the_name_goes_when_the_ticket_leaves_the_agent(desk, tenant_a, client):  # noqa: F811
    # given the agent once held the ticket
    ticket = _working(_ticket(desk), tenant_a)
    holder = ticket.assignee.user
    with client_scope(clients=[tenant_a.client]):
        work.transition(
            actor=tenant_a.team_lead, item=ticket, action="unassign", version=ticket.version
        )
    # when they open the panel again
    client.force_login(holder)
    response = client.get(f"/care/tickets/{ticket.pk}/", HTTP_HX_REQUEST="true")
    # then the name is not shown to them
    assert "Maria Santos" not in response.content.decode()
