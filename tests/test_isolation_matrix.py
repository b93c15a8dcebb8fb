"""Another client's object is 404 on every route, and nothing changes.

The matrix below names every URL pattern in the URL conf. A new route that is not in it
fails `test_every_route_is_in_the_matrix`, so isolation is decided for each new route.
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import client_scope
from tests.factories import engagement_for

# Routes that take another client's object id: (method, body) pairs to try as outsider.
OBJECT_ROUTES = {
    "api/v1/clients/<client_id>": [("get", None), ("patch", {"legal_name": "Taken"})],
    "api/v1/clients/<client_id>/status": [("post", {"status": "suspended"})],
    "api/v1/engagements/<engagement_id>": [
        ("get", None),
        ("patch", {"version": 1, "name": "x"}),
    ],
    "api/v1/engagements/<engagement_id>/status": [("post", {"status": "scoping"})],
    "api/v1/users/<user_id>": [("get", None)],
    "api/v1/users/<user_id>/deactivate": [("post", None)],
    "api/v1/users/<user_id>/reactivate": [("post", None)],
    "api/v1/grants/<grant_id>": [("delete", None)],
    "api/v1/tokens/<token_id>": [("delete", None)],
    "api/v1/sites/<site_id>/shore/<client_id>": [("get", None)],
    "api/v1/queues/<queue_id>": [("get", None), ("patch", {"version": 1, "name": "x"})],
    "api/v1/queues/<queue_id>/stats": [("get", None)],
    "api/v1/work-items/<item_id>": [("get", None), ("patch", {"version": 1, "title": "x"})],
    "api/v1/work-items/<item_id>/transitions": [("post", {"action": "cancel"})],
    "api/v1/work-items/<item_id>/assign": [("post", {"agent_id": 1})],
    "api/v1/work-items/<item_id>/transfer": [("post", {"queue_id": 1})],
    "api/v1/work-items/<item_id>/comments": [("get", None), ("post", {"body": "x"})],
    "api/v1/work-items/<item_id>/events": [("get", None)],
    "api/v1/work-items/<item_id>/reveal": [("post", {"reason": "customer on the phone"})],
    "api/v1/work-items/<item_id>/personal": [("get", None)],
    "api/v1/care/mailboxes/<mailbox_id>/inbound": [("post", {"raw": "x"})],
    "api/v1/care/tickets/<ticket_id>/messages": [
        ("get", None),
        ("post", {"kind": "reply", "body": "x"}),
    ],
    "api/v1/care/tickets/<ticket_id>/tier": [
        ("post", {"direction": "up", "note": "x" * 30, "version": 1})
    ],
    "api/v1/care/tickets/<ticket_id>/links": [("post", {"other": 1, "how": "merge"})],
    "api/v1/payroll/runs/<run_id>": [("get", None)],
    "api/v1/payroll/runs/<run_id>/inputs": [("post", None)],
    "api/v1/payroll/runs/<run_id>/actions": [("post", {"action": "submit", "version": 1})],
    "api/v1/payroll/runs/<run_id>/results": [("get", None)],
    "api/v1/payroll/runs/<run_id>/reconciliation": [("get", None)],
    "api/v1/payroll/runs/<run_id>/files/<kind>": [("get", None)],
    "api/v1/payroll/runs/<run_id>/payslips/<employee_id>": [("get", None)],
    "api/v1/payroll/employees/<employee_id>": [("get", None)],
    "api/v1/payroll/employees/<employee_id>/employments": [("get", None)],
    "api/v1/payroll/pay-groups/<pay_group_id>": [
        ("get", None),
        ("patch", {"version": 1, "changes": {"name": "x"}}),
    ],
    "api/v1/payroll/pay-groups/<pay_group_id>/calendar": [("get", None)],
    "api/v1/payroll/pay-groups/<pay_group_id>/rule-versions": [("get", None)],
    "api/v1/payroll/pay-groups/<pay_group_id>/rule-versions/<number>/restore": [
        ("post", {"version": 1, "note": "x"})
    ],
    "api/v1/payroll/hr-events/<hr_item_id>": [("get", None)],
    "api/v1/payroll/hr-events/<hr_item_id>/actions": [("post", {"action": "apply"})],
    "api/v1/work-items/<item_id>/access": [("post", {"reason": "customer called back about it"})],
    "api/v1/agents/<agent_id>": [("get", None), ("patch", {"version": 1, "skills": {}})],
    "api/v1/agents/<agent_id>/presence": [("get", None), ("post", {"presence": "break"})],
    "api/v1/agents/<agent_id>/clearances": [("get", None), ("post", {"engagement_id": 1})],
    "api/v1/agents/<agent_id>/clearances/<clearance_id>": [("delete", None)],
    "api/v1/webhooks/<endpoint_id>": [
        ("get", None),
        ("patch", {"description": "x"}),
        ("delete", None),
    ],
    "api/v1/webhooks/<endpoint_id>/rotate-secret": [("post", None)],
    "api/v1/webhooks/<endpoint_id>/deliveries": [("get", None)],
    "api/v1/webhook-deliveries/<delivery_id>/redeliver": [("post", None)],
    "api/v1/contacts/outbound/<verification_id>/end": [("post", None)],
    "api/v1/contacts/inbound/<verification_id>/confirm": [("post", {"code": "123456"})],
    "api/v1/contacts/verifications/<verification_id>": [("get", None)],
    "api/v1/contacts/pages/<page_id>": [("patch", {"display_name": "Taken"})],
}
# Pages that take another client's object id: (method, form data) pairs, tried as an
# outsider signed in with a session (provider admin of A only; client admin of A).
PAGE_ROUTES = {
    "work/items/<int:item_id>/": [("get", None)],
    "work/items/<int:item_id>/status/": [("get", None)],
    "work/items/<int:item_id>/act/": [("post", {"action": "cancel"})],
    "work/items/<int:item_id>/transfer/": [("post", {"queue": "1", "reason": "x"})],
    "work/items/<int:item_id>/escalate/": [("post", {"reason": "taking it"})],
    "work/items/<int:item_id>/assign/": [("post", {"agent": "1"})],
    "work/items/<int:item_id>/comments/": [("post", {"body": "x"})],
    "work/items/<int:item_id>/reveal/": [("post", {"reason": "curious about it"})],
    "work/items/<int:item_id>/access/": [("post", {"reason": "customer called back about it"})],
    "ops/security/alerts/<int:alert_id>/": [("post", {"note": "looked into it"})],
    "ops/security/reveals/<int:reveal_id>/": [("post", {"decision": "approve"})],
    "work/attachments/<int:attachment_id>/": [("get", None)],
    "portal/submit/<int:queue_id>/": [("get", None), ("post", {"document_ref": "X"})],
    "portal/items/<int:item_id>/": [("get", None)],
    "portal/items/<int:item_id>/status/": [("get", None)],
    "portal/items/<int:item_id>/reply/": [("post", {"body": "x"})],
    "portal/users/<int:user_id>/active/": [("post", {"active": "no"})],
    "engagements/<int:engagement_id>/": [("get", None), ("post", {"name": "Q"})],
    "engagements/<int:engagement_id>/edit/": [("get", None), ("post", {"name": "x"})],
    "engagements/<int:engagement_id>/status/": [("post", {"status": "scoping"})],
    "agents/<int:agent_id>/": [("get", None), ("post", {"skills": "x = 5"})],
    "care/tickets/<int:ticket_id>/": [("get", None)],
    "care/tickets/<int:ticket_id>/conversation/": [("get", None)],
    "care/tickets/<int:ticket_id>/typing/": [("post", None)],
    "care/tickets/<int:ticket_id>/reply/": [("post", {"body": "x", "kind": "reply"})],
    "care/tickets/<int:ticket_id>/macro/": [("post", {"macro": "1", "version": "1"})],
    "care/tickets/<int:ticket_id>/fields/": [("post", {"cf_order": "1"})],
    "care/tickets/<int:ticket_id>/resolve/": [("post", {"resolution": "x", "version": "1"})],
    "care/tickets/<int:ticket_id>/relate/": [("post", {"other": "1", "how": "merge"})],
    "care/tickets/<int:ticket_id>/split/": [("post", {"message": "1", "subject": "x"})],
    "care/tickets/<int:ticket_id>/tier/": [("post", {"note": "x" * 30, "version": "1"})],
    "care/tickets/<int:ticket_id>/checklist/": [("post", {"checklist": "1", "step": "0"})],
    "care/kb/<int:article_id>/": [("get", None), ("post", {"title": "x", "body": "x"})],
    "care/kb/<int:article_id>/publish/": [("post", {"published": "1", "version": "1"})],
    "care/kb/<int:article_id>/delete/": [("post", None)],
    "payroll/runs/<int:run_id>/": [("get", None)],
    "payroll/runs/<int:run_id>/inputs/": [("post", None)],
    "payroll/runs/<int:run_id>/action/": [("post", {"action": "submit", "version": "1"})],
    "payroll/runs/<int:run_id>/register.csv": [("get", None)],
    "payroll/runs/<int:run_id>/journal.csv": [("get", None)],
    "payroll/runs/<int:run_id>/bank-file": [("get", None)],
    "payroll/runs/<int:run_id>/payslips/<int:employee_id>.pdf": [("get", None)],
    "payroll/items/<int:item_id>/panel/": [("get", None)],
    "payroll/employees/<int:employee_id>/": [("get", None)],
    "payroll/groups/<int:pay_group_id>/": [("get", None)],
    "payroll/groups/<int:pay_group_id>/edit/": [("post", {"version": "1", "name": "x"})],
    "payroll/groups/<int:pay_group_id>/rules/": [
        ("get", None),
        ("post", {"version": "1", "rows": "0", "note": "x"}),
    ],
    "payroll/groups/<int:pay_group_id>/rules/<int:number>/": [("get", None)],
    "payroll/groups/<int:pay_group_id>/rules/<int:number>/restore/": [
        ("post", {"version": "1", "note": "x"})
    ],
    "payroll/items/<int:hr_item_id>/hr/": [("get", None)],
    "payroll/items/<int:hr_item_id>/hr/apply/": [("post", None)],
    "payroll/items/<int:hr_item_id>/hr/verify/": [("post", {"version": "1"})],
    "payroll/items/<int:hr_item_id>/hr/undo/": [("post", {"version": "1", "reason": "x"})],
    "work/contact/<int:verification_id>/": [
        ("get", None),
        ("post", {"action": "confirm", "code": "123456"}),
        ("post", {"action": "end"}),
    ],
}
# Routes with no client object in the path, and why they cannot leak another client.
SCOPED_OR_GLOBAL_ROUTES = {
    "api/v1/clients": "list filtered to reachable clients; create needs clients:write",
    "api/v1/engagements": "list filtered to reachable clients; create checks client_id (404)",
    "api/v1/users": "list filtered to reachable clients; create checks client_id (404)",
    "api/v1/users/me": "the caller only",
    "api/v1/grants": "list filtered to reachable clients; create checks client_id (404)",
    "api/v1/tokens": "the caller's own tokens; create checks client_id (404)",
    "api/v1/sites": "provider sites are global, not client data",
    "api/v1/sites/<site_id>": "provider sites are global, not client data",
    "api/v1/queues": "list filtered to reachable clients; create checks engagement_id (404)",
    "api/v1/work-types": "the registry of work types, no client data",
    "api/v1/work-items": "list filtered to reachable clients; create checks queue_id (404)",
    "api/v1/work-items.csv": "export filtered to reachable clients",
    "api/v1/work-items/bulk": "checks queue_id (404)",
    "api/v1/work-items/import": "checks queue_id (404)",
    "api/v1/care/cti/<endpoint_id>/events": (
        "signed with the endpoint's own secret; unsigned or unknown endpoint is 401 "
        "(test_cti), so no session reaches another client's calls"
    ),
    "api/v1/privacy/subject-export": "checks client_id against the caller's clients (404)",
    "api/v1/privacy/subject-erasure": "checks client_id against the caller's clients (404)",
    "api/v1/agents": "agents granted to reachable clients; create checks the user's grant",
    "api/v1/agents/me": "the caller only",
    "api/v1/agents/me/presence": "the caller only",
    "api/v1/agents/me/next": "claims only within the caller's reachable clients",
    "api/v1/webhooks": "list filtered to reachable clients; create checks client_id (404)",
    "api/v1/": "the API root, no data",
    "api/v1/openapi.json": "schema",
    "api/v1/docs": "schema page",
    "^api/v1/(?P<rest>.*)$": "JSON 404 for unknown API paths",
    "healthz": "no data",
    "readyz": "no data",
    "login/": "no data",
    "login/mfa/": "the half-signed-in person's own second step, no data",
    "account/mfa/setup/": "the caller's own authenticator",
    "account/mfa/": "the caller's own recovery codes",
    "logout/": "no data",
    "": "home lists reachable clients only (test_pages_home)",
    "account/password/": "the caller only",
    "account/keepalive/": "the caller only, no data",
    "work/": "the caller's own agent and items",
    "work/mine/": "the caller's own items",
    "work/presence/": "the caller's own presence",
    "work/next/": "claims only within the caller's reachable clients",
    "work/items/": "list filtered to reachable clients (test_pages: lists)",
    "work/items/bulk/": "ticked ids are looked up within reachable clients only",
    "ops/": "floor figures of reachable clients only (test_pages: floor)",
    "ops/live/": "floor figures of reachable clients only",
    "ops/sla/": "attainment of reachable clients only",
    "ops/security/": "alerts and pending reveals of reachable clients only",
    "portal/": "the client user's own engagements",
    "portal/items/": "list filtered to the client user's client",
    "portal/sla/": "attainment of the client user's client",
    "portal/users/": "users of the client admin's own client",
    "portal/audit/": "signed audit checkpoints of the client admin's own client only "
    "(test_audit_checkpoints)",
    "engagements/": "list filtered to reachable clients",
    "engagements/new/": "client chosen from reachable clients only",
    "agents/": "agents granted to reachable clients",
    "sites/": "provider sites are global, not client data",
    "api/v1/contacts/outbound": "checks client_id, work_item_id, engagement_id (404)",
    "api/v1/contacts/inbound": "checks client_id, work_item_id, engagement_id (404)",
    "api/v1/contacts/verifications": "list filtered to reachable clients",
    "api/v1/contacts/pages": "list filtered to reachable clients; create checks client_id (404)",
    "work/contact/": "issues codes for reachable clients only; lists the caller's own codes",
    "work/contact/recent/": "list filtered to reachable clients; contact search hashes per client",
    "care/reports/": (
        "figures of reachable clients only; another client's engagement, agent or site id "
        "is 404 (test_reporting, test_reports)"
    ),
    "api/v1/care/reports": (
        "figures of reachable clients only; another client_id, engagement_id, agent_id or "
        "site_id is 404 (test_reports)"
    ),
    "care/kb/": "list filtered to reachable clients; search runs on their articles only",
    "payroll/runs/": "list filtered to reachable clients; pay groups offered from them only",
    "payroll/runs/new/": "pay group looked up among reachable clients (another's: refused)",
    "payroll/employees/": "list filtered to reachable clients",
    "api/v1/payroll/runs": "list filtered to reachable clients; POST looks the pay group up "
    "among them (another client's: 404)",
    "api/v1/payroll/employees": "list filtered to reachable clients, masked",
    "api/v1/payroll/hr-events": "list filtered to reachable clients",
    "api/v1/payroll/pay-groups": "list filtered to reachable clients; POST looks the "
    "engagement up among them (another client's: 404)",
    "payroll/groups/": "list filtered to reachable clients; engagements offered from them only",
    "payroll/groups/new/": "engagement looked up among reachable clients (another's: refused)",
    "payroll/hr/": "list and waiting requests filtered to reachable clients",
    "care/kb/new/": "client chosen from reachable clients only",
    "care/w/<slug:key>/help/": "public; published public articles of the key's own client only",
    "care/w/<slug:key>/help/<slug:slug>/": (
        "public; the slug is looked up among the key's own client's published public articles"
    ),
    "care/widget.js": "the chat widget's script, no data",
    "care/w/<slug:key>/": "public hosted chat page of one channel; shows only its title",
    "care/w/<slug:key>/form/": "public contact form; creates a ticket on the key's own client",
    "care/w/<slug:key>/chat/start": "public; starts a chat on the key's own client",
    "care/w/<slug:key>/chat/lines": (
        "public; the chat token is looked up within the key's own channel "
        "(test_channels: another client's channel with a valid token is 404)"
    ),
    "care/w/<slug:key>/chat/end": "public; same token check as chat/lines",
    "care/survey/<str:signed>/": (
        "public; a signed single-use link naming one survey (test_channels: tampered 404)"
    ),
    "verify/<slug:slug>/": (
        "public: shows only what the typed contact has on the page's own client, "
        "looked up in that client's scope (test_pages_verify: another client's page)"
    ),
}
# Django admin: provider admins only, and its querysets run in the admin's scope.
ADMIN_PREFIX = "admin/"


def all_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_every_route_is_in_the_matrix():
    known = set(OBJECT_ROUTES) | set(PAGE_ROUTES) | set(SCOPED_OR_GLOBAL_ROUTES)
    missing = {
        route for route in all_routes() if route not in known and not route.startswith(ADMIN_PREFIX)
    }
    assert missing == set()


@pytest.fixture
def outsider_world(tenant_a, tenant_b, provider_admin):
    """Objects of client B, and an admin of client A who must not reach them."""
    from tests.factories import site

    b_engagement = engagement_for(tenant_b.client)
    b_token, _ = create_api_token(
        actor=tenant_b.client_admin, client=tenant_b.client, name="b", scopes=["work:read"]
    )
    b_grant = Grant.objects.get(user=tenant_b.agent, client=tenant_b.client)
    a_admin = UserFactory(email="admin-only-a@provider.example", role=Role.PROVIDER_ADMIN)
    Grant.objects.create(user=a_admin, client=tenant_a.client)
    work = _work_of(tenant_b)
    return {
        **work,
        "client_id": tenant_b.client.pk,
        "engagement_id": b_engagement.pk,
        "user_id": tenant_b.client_user.pk,
        "grant_id": b_grant.pk,
        "token_id": b_token.pk,
        "site_id": site().pk,
        "outsiders": [a_admin, tenant_a.client_admin],
    }


def _work_of(tenant) -> dict:
    """A queue, an item, an agent with a clearance, a webhook and a delivery of `tenant`."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tercero.delivery.work import services as work
    from tercero.delivery.work.models import WebhookDelivery, WebhookEndpoint, WorkEvent
    from tercero.delivery.workforce.services import clear_agent, create_agent
    from tercero.platform.security import services as security
    from tercero.services.care import services as care
    from tercero.services.care.models import Mailbox
    from tests.factories import site

    engagement = engagement_for(tenant.client, name="Keying", status="live")
    with client_scope(clients=[tenant.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="capture.document",
            payload={"document_ref": "INV-1", "fields_total": 4},
        )
        agent = create_agent(actor=None, user=tenant.agent, site=site(name="Cebu"))
        clearance = clear_agent(
            actor=None, agent=agent, engagement=engagement, reachable_client_ids=[tenant.client.pk]
        )
        endpoint = WebhookEndpoint.objects.create(
            client=tenant.client, url="https://hooks.example.com/t", secret="s"
        )
        delivery = WebhookDelivery.objects.create(
            client=tenant.client,
            endpoint=endpoint,
            event=WorkEvent.objects.filter(item=item).first(),
            next_attempt_at=timezone.now(),
        )
        attachment = work.attach(
            actor=None,
            item=item,
            upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 secret scan", "application/pdf"),
        )
        alert = security.raise_alert(
            client_id=tenant.client.pk,
            user_id=tenant.agent.pk,
            kind="records",
            window_start=timezone.now(),
            count=200,
            limit=150,
        )
        reveal = security.request_reveal(
            actor=tenant.team_lead,
            client_id=tenant.client.pk,
            object_type="work_item",
            object_id=item.pk,
            reason="customer on the phone",
            step_up=True,
        )
        mailbox = Mailbox.objects.create(
            client=tenant.client,
            engagement=engagement,
            queue=queue,
            address=f"help@client{tenant.client.pk}.example",
        )
        desk = work.create_queue(
            actor=None, engagement=engagement, name="Tickets", work_types=["care.ticket"]
        )
        ticket = work.create_item(
            actor=None,
            queue=desk,
            work_type="care.ticket",
            payload={"subject": "Bergmann order", "requester_email": "kunde@example.de"},
        )
        article = care.create_article(
            actor=None, client_id=tenant.client.pk, title="Bergmann refunds", body="Bergmann"
        )
    from tercero.services.payroll.tests.factories import finalised, hire, uk_group

    group = uk_group(tenant.client, name="Bergmann monthly")
    with client_scope(clients=[tenant.client]):
        employee = hire(tenant.team_lead, group, "B-1")
        run = finalised(tenant, group)
        hr_queue = work.create_queue(
            actor=None, engagement=engagement, name="HR", work_types=["payroll.hr_event"]
        )
        hr_item = work.create_item(
            actor=None,
            queue=hr_queue,
            work_type="payroll.hr_event",
            payload={"event": "terminate", "employee_number": "B-1", "effective": "2026-09-30"},
        )
    return {
        "pay_group_id": group.pk,
        "number": 1,  # the pay group's first rule version (its run wrote it)
        "hr_item_id": hr_item.pk,
        "run_id": run.pk,
        "employee_id": employee.pk,
        "kind": "register",
        "article_id": article.pk,
        "ticket_id": ticket.pk,
        **_contacts_of(tenant),
        "mailbox_id": mailbox.pk,
        "alert_id": alert.pk,
        "reveal_id": reveal.pk,
        "attachment_id": attachment.pk,
        "queue_id": queue.pk,
        "item_id": item.pk,
        "agent_id": agent.pk,
        "clearance_id": clearance.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery.pk,
    }


def _contacts_of(tenant) -> dict:
    """A verification page and a live code of `tenant`."""
    from django.utils import timezone

    from tercero.delivery.contact import services as contact

    with client_scope(clients=[tenant.client]):
        page = contact.create_page(
            actor=None, client_id=tenant.client.pk, slug="bergmann", display_name="Bergmann"
        )
        verification, _ = contact.issue_outbound(
            actor=tenant.agent,
            client_id=tenant.client.pk,
            channel="email",
            contact="kunde@example.de",
            now=timezone.now(),
        )
    return {"page_id": page.pk, "verification_id": verification.pk}


def _path(route: str, ids: dict) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<{name}>", str(value))
    return path


def _snapshot():
    return (
        AuditEvent.objects.count(),
        list(User.objects.values_list("id", "is_active", "full_name").order_by("id")),
        list(Grant.objects.values_list("id").order_by("id")),
    )


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_outsiders_get_404_for_another_clients_object(client, outsider_world, route):
    for outsider in outsider_world["outsiders"]:
        # given
        client.force_login(outsider)
        before = _snapshot()
        for method, body in OBJECT_ROUTES[route]:
            # when
            response = getattr(client, method)(
                _path(route, outsider_world),
                data=json.dumps(body) if body is not None else None,
                content_type="application/json",
            )
            # then
            assert response.status_code == 404, (route, method, outsider.email, response.content)
            assert response.json()["error"]["code"] == "not_found"
        assert _snapshot() == before


def _page_path(route: str, ids: dict) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    return path


def _work_snapshot():
    from tercero.delivery.engagements.models import Engagement
    from tercero.delivery.work.models import Comment, WorkItem
    from tercero.delivery.workforce.models import Agent
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        return (
            list(WorkItem.objects.values_list("id", "status", "version", "priority", "queue_id")),
            Comment.objects.count(),
            list(Engagement.objects.values_list("id", "version", "status", "name")),
            list(Agent.objects.values_list("id", "version", "skills")),
        )


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES))
def test_outsiders_get_404_pages_for_another_clients_object(client, outsider_world, route):
    for outsider in outsider_world["outsiders"]:
        # given an outsider signed in with a session
        client.force_login(outsider)
        before = (_snapshot(), _work_snapshot())
        for method, data in PAGE_ROUTES[route]:
            # when they open or post to a page of B's object
            response = getattr(client, method)(_page_path(route, outsider_world), data=data or {})
            # then it does not exist for them, and nothing changed
            assert response.status_code == 404, (route, method, outsider.email)
            assert b"Bergmann" not in response.content
        assert (_snapshot(), _work_snapshot()) == before
