"""The audit trail page: auditors search it, export it and verify its chain; every look
at it is itself recorded; an auditor sees only the clients they are granted."""

import csv
import io
from datetime import timedelta

import time_machine
from django.utils import timezone

from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope


def _auditor(*tenants, email="auditor@provider.example"):
    auditor = UserFactory.create(email=email, full_name="Ada Auditor", role=Role.AUDITOR)
    with all_clients_scope():
        for tenant in tenants:
            Grant.objects.create(user=auditor, client=tenant.client)
    return auditor


def _events_of(tenant_a, tenant_b):
    record(
        action="grant.created",
        actor=tenant_a.team_lead,
        client=tenant_a.client,
        object_type="grant",
        object_id=7,
    )
    record(
        action="user.deactivated",
        actor=tenant_a.client_admin,
        client=tenant_a.client,
        object_type="user",
        object_id=tenant_a.client_user.pk,
    )
    record(
        action="engagement.created",
        actor=tenant_b.client_admin,
        client=tenant_b.client,
        object_type="engagement",
        object_id=3,
        reason="Bergmann kickoff",
    )
    record(action="site.created", object_type="site", object_id=1)


def _recorded(action):
    with all_clients_scope():
        return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_an_auditor_searches_by_person_action_object_and_client(client, tenant_a, tenant_b):
    # given
    _events_of(tenant_a, tenant_b)
    client.force_login(_auditor(tenant_a, tenant_b))
    # when they search by person, then by action, then by object, then by client
    by_person = client.get("/audit/", {"person": tenant_a.client_admin.email})
    by_action = client.get("/audit/", {"action": "grant."})
    by_object = client.get("/audit/", {"object_type": "engagement", "object_id": "3"})
    by_client = client.get("/audit/", {"client": str(tenant_b.client.pk)})
    # then each shows the matching events, in words
    assert by_person.status_code == 200
    assert "User deactivated" in by_person.text
    assert "Grant created" not in by_person.text
    assert "Grant created" in by_action.text
    assert "User deactivated" not in by_action.text
    assert "Engagement created" in by_object.text
    assert "Grant created" not in by_object.text
    assert "Bergmann kickoff" in by_client.text
    assert "Grant created" not in by_client.text


def test_a_time_window_keeps_only_its_days(client, tenant_a, tenant_b):
    # given an event ten days ago and one today
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        record(action="grant.revoked", actor=tenant_a.team_lead, client=tenant_a.client)
    record(action="grant.created", actor=tenant_a.team_lead, client=tenant_a.client)
    client.force_login(_auditor(tenant_a))
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    # when they search from two days ago
    response = client.get("/audit/", {"since": since})
    # then only today's shows
    assert "Grant created" in response.text
    assert "Grant revoked" not in response.text


def test_an_auditor_granted_one_client_never_sees_anothers_events(client, tenant_a, tenant_b):
    # given an auditor of client A only
    _events_of(tenant_a, tenant_b)
    client.force_login(_auditor(tenant_a))
    # when they list everything, ask for B by its id, and export
    everything = client.get("/audit/")
    asked_for_b = client.get("/audit/", {"client": str(tenant_b.client.pk)})
    exported = client.get("/audit/", {"format": "csv"})
    # then B's events appear nowhere
    for response in (everything, asked_for_b, exported):
        assert response.status_code == 200
        assert b"Bergmann" not in response.content
        assert b"Engagement created" not in response.content
    assert "Grant created" in everything.text


def test_viewing_and_exporting_the_trail_are_recorded(client, tenant_a, tenant_b):
    # given
    _events_of(tenant_a, tenant_b)
    auditor = _auditor(tenant_a, tenant_b)
    client.force_login(auditor)
    # when they view a search and export it
    client.get("/audit/", {"action": "grant.", "client": str(tenant_a.client.pk)})
    exported = client.get("/audit/", {"action": "grant.", "format": "csv"})
    # then both are events of the trail, with what was searched
    viewed = _recorded("audit.trail.viewed")
    assert [(e.actor_id, e.client_id) for e in viewed] == [(auditor.pk, tenant_a.client.pk)]
    assert viewed[0].payload["search"]["action"] == "grant."
    exports = _recorded("audit.trail.exported")
    assert [(e.actor_id, e.payload["rows"]) for e in exports] == [(auditor.pk, 1)]
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:5] == ["Event", "When (UTC)", "Person", "Client", "Action"]
    assert [row[4] for row in rows[1:]] == ["Grant created"]


def test_verifying_an_intact_chain_says_so_in_words(client, tenant_a, tenant_b):
    # given
    _events_of(tenant_a, tenant_b)
    client.force_login(_auditor(tenant_a, tenant_b))
    # when
    response = client.post("/audit/verify/", follow=True)
    # then
    assert "The audit trail is intact: all 4 events verified." in response.text
    assert [e.payload["intact"] for e in _recorded("audit.chain.verified")] == [True]


def test_verifying_an_altered_chain_names_the_first_altered_event(
    transactional_db, client, tenant_a, tenant_b, tamper
):
    # given the second event's action rewritten in the database
    _events_of(tenant_a, tenant_b)
    tamper("UPDATE audit_auditevent SET action = 'user.reactivated' WHERE sequence = 2")
    client.force_login(_auditor(tenant_a, tenant_b))
    # when
    response = client.post("/audit/verify/", follow=True)
    # then the page names event 2 and what is wrong with it
    assert (
        "The audit trail has been altered. The first altered event is event 2 "
        "(User reactivated, by admin@acme-co.example"
    ) in response.text
    assert "row edited or forged" in response.text
    assert "The 1 events before it are intact." in response.text
    verified = _recorded("audit.chain.verified")
    assert [(e.payload["intact"], e.payload["first_broken_sequence"]) for e in verified] == [
        (False, 2)
    ]


def test_an_altered_event_of_another_client_is_named_by_number_only(
    transactional_db, client, tenant_a, tenant_b, tamper
):
    # given B's event altered, and an auditor of A only
    _events_of(tenant_a, tenant_b)
    tamper("UPDATE audit_auditevent SET reason = 'nothing' WHERE sequence = 3")
    client.force_login(_auditor(tenant_a))
    # when
    response = client.post("/audit/verify/", follow=True)
    # then
    assert "event 3, which belongs to a client you cannot see" in response.text
    assert "Bergmann" not in response.text
    assert "Engagement created" not in response.text


def test_only_auditors_and_admins_open_the_trail(client, tenant_a, provider_admin):
    # given people without audit:read, a client admin (who has it, in the portal), an admin
    for person, page_status, verify_status in (
        (tenant_a.agent, 403, 403),
        (tenant_a.team_lead, 403, 403),
        (tenant_a.client_admin, 404, 404),
        (provider_admin, 200, 302),
    ):
        client.force_login(person)
        # when / then
        assert client.get("/audit/").status_code == page_status, person.email
        assert client.post("/audit/verify/").status_code == verify_status, person.email
    # and only the admin's look and check were recorded
    assert [e.actor_id for e in _recorded("audit.trail.viewed")] == [provider_admin.pk]
    assert [e.actor_id for e in _recorded("audit.chain.verified")] == [provider_admin.pk]
