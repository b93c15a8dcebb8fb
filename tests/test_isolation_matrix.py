"""Another client's object is 404 on every route, and nothing changes.

The matrix below names every URL pattern in the URL conf. A new route that is not in it
fails `test_every_route_is_in_the_matrix`, so isolation is decided for each new route.
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tercero.platform import catalogue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_api_token
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
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
    "ops/health/": "provider staff only (404 for client users); counts and times only",
    "api/v1/ops/health": "provider staff only (404 for client users); counts and times only",
    "api/v1/import-jobs/<job_id>": "access_job checks the caller's clients (404; test_import_jobs)",
    "work/import/": "staff page; the queue is checked against the caller's clients (404)",
    "work/import/<int:job_id>/": "access_job checks the caller's clients (404; test_import_jobs)",
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
    "verify/<slug:slug>/": (
        "public: shows only what the typed contact has on the page's own client, "
        "looked up in that client's scope (test_pages_verify: another client's page)"
    ),
}
# Each service line names its own routes in its manifest (platform/catalogue.py).
for _line in catalogue.lines():
    OBJECT_ROUTES.update(_line.isolation.api_routes)
    PAGE_ROUTES.update(_line.isolation.page_routes)
    SCOPED_OR_GLOBAL_ROUTES.update(_line.isolation.scoped_routes)
# Django admin: provider admins only, signed in through /login/, one working client at a
# time. Each route is tried with an API token (401), with a session that has not passed
# the second factor (sent to its step), and with sessions of people outside client B: a
# client admin of A (404 everywhere) and a provider admin working in A, who gets the
# status given here (404 for every route naming B's row). Site-wide routes first, then
# the routes of each model in ADMIN_MODELS under admin/<app_label>/<model_name>/, with
# B's row as <object_id>: (method, form data, status for the provider admin of A).
ADMIN_SITE_ROUTES = {
    "admin/": [("get", None, 200)],
    "admin/login/": [
        ("get", None, 302),
        ("post", {"username": "admin-only-a@provider.example", "password": "x" * 12}, 302),
    ],
    "admin/logout/": [("post", None, 302)],
    "admin/password_change/": [("get", None, 302), ("post", {"old_password": "x" * 12}, 302)],
    "admin/password_change/done/": [("get", None, 302)],
    "admin/working-client/": [("post", {"working_client": "<client_id>"}, 404)],
    "admin/autocomplete/": [
        ("get", {"app_label": "work", "model_name": "queue", "field_name": "engagement"}, 200)
    ],
    "admin/jsi18n/": [("get", None, 200)],
    "admin/r/<path:content_type_id>/<path:object_id>/": [("get", None, 404)],
    "admin/^(?P<app_label>tenancy|security|engagements|work|care)/$": [("get", None, 200)],
    "admin/(?P<url>.*)$": [("get", None, 404)],
}
ADMIN_MODEL_ROUTES = {
    "": [
        ("get", None, 200),
        # a bulk delete of B's row finds nothing to delete in A's list
        (
            "post",
            {"action": "delete_selected", "_selected_action": "<object_id>", "post": "yes"},
            302,
        ),
    ],
    "add/": [("get", None, 200), ("post", {"client": "<client_id>"}, 422)],
    "<path:object_id>/": [("get", None, 302)],  # to the change page, which is 404
    "<path:object_id>/change/": [("get", None, 404), ("post", {"client": "<client_id>"}, 404)],
    "<path:object_id>/delete/": [("get", None, 404), ("post", {"post": "yes"}, 404)],
    "<path:object_id>/history/": [("get", None, 404)],
}
ADMIN_MODELS = (
    "tenancy/client",
    "security/misuserule",
    "security/privacypolicy",
    "engagements/engagement",
    "work/queue",
    "work/webhookendpoint",
    "care/mailbox",
    "care/rejection",
    "care/ctiendpoint",
    "care/webchannel",
    "care/macro",
    "care/customfield",
    "care/checklist",
    "care/tierqueue",
    "care/survey",
)
ADMIN_SECTIONS = ["", *ADMIN_MODELS]  # "": the site-wide routes


def all_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _admin_model_routes() -> set[str]:
    return {f"admin/{model}/{suffix}" for model in ADMIN_MODELS for suffix in ADMIN_MODEL_ROUTES}


def test_every_route_is_in_the_matrix():
    known = set(OBJECT_ROUTES) | set(PAGE_ROUTES) | set(SCOPED_OR_GLOBAL_ROUTES)
    known |= set(ADMIN_SITE_ROUTES) | _admin_model_routes()
    missing = {route for route in all_routes() if route not in known}
    assert missing == set()


@pytest.fixture
def outsider_world(tenant_a, tenant_b, provider_admin):
    """Objects of client B, and an admin of client A who must not reach them."""
    from tests.factories import site

    b_engagement = engagement_for(tenant_b.client)
    with client_scope(clients=[tenant_b.client]):
        b_token, _ = create_api_token(
            actor=tenant_b.client_admin, client=tenant_b.client, name="b", scopes=["work:read"]
        )
    a_admin = UserFactory(email="admin-only-a@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        b_grant = Grant.objects.get(user=tenant_b.agent, client=tenant_b.client)
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
    with all_clients_scope():
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


@pytest.fixture
def admin_world(tenant_a, tenant_b, provider_admin):
    """A row of client B for each model in the admin, and people outside B."""
    from django.contrib.contenttypes.models import ContentType

    from tercero.delivery.engagements.models import Engagement

    rows = _admin_rows_of(tenant_b)
    a_admin = UserFactory(email="admin-only-a@provider.example", role=Role.PROVIDER_ADMIN)
    with all_clients_scope():
        Grant.objects.create(user=a_admin, client=tenant_a.client)
    return {
        "rows": rows,
        "client_id": tenant_b.client.pk,
        "content_type_id": ContentType.objects.get_for_model(Engagement).pk,
        "object_id": rows["engagements/engagement"],
        "a_admin": a_admin,
        "outsiders": [a_admin, tenant_a.client_admin],
    }


def _admin_rows_of(tenant) -> dict:
    """One row of `tenant` per model in ADMIN_MODELS, each named after the client."""
    from datetime import timedelta

    from django.utils import timezone

    from tercero.delivery.work import services as work
    from tercero.delivery.work.models import WebhookEndpoint
    from tercero.platform.security.models import MisuseRule, PrivacyPolicy
    from tercero.services.care import models as care

    client = tenant.client
    engagement = engagement_for(client, name="Bergmann care", status="live")
    with client_scope(clients=[client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Bergmann desk", work_types=["care.ticket"]
        )
        item = work.create_item(
            actor=None,
            queue=queue,
            work_type="care.ticket",
            payload={"subject": "Bergmann order", "requester_email": "kunde@example.de"},
        )
        mailbox = care.Mailbox.objects.create(
            client=client, engagement=engagement, queue=queue, address="help@bergmann.example"
        )
        on_engagement = {"client": client, "engagement": engagement}
        rows = {
            "tenancy/client": client,
            "security/misuserule": MisuseRule.objects.create(client=client),
            "security/privacypolicy": PrivacyPolicy.objects.create(client=client),
            "engagements/engagement": engagement,
            "work/queue": queue,
            "work/webhookendpoint": WebhookEndpoint.objects.create(
                client=client, url="https://hooks.example.com/bergmann", secret="s"
            ),
            "care/mailbox": mailbox,
            "care/rejection": care.Rejection.objects.create(
                client=client, mailbox=mailbox, reason="Bergmann loop"
            ),
            "care/ctiendpoint": care.CtiEndpoint.objects.create(
                **on_engagement, queue=queue, secret="s", description="Bergmann phones"
            ),
            "care/webchannel": care.WebChannel.objects.create(
                **on_engagement, queue=queue, key="bergmann", title="Bergmann help"
            ),
            "care/macro": care.Macro.objects.create(**on_engagement, name="Bergmann refund"),
            "care/customfield": care.CustomField.objects.create(
                **on_engagement, key="order", label="Bergmann order"
            ),
            "care/checklist": care.Checklist.objects.create(
                client=client, product="Bergmann drill", title="Bergmann reset"
            ),
            "care/tierqueue": care.TierQueue.objects.create(
                **on_engagement, tier="L2", queue=queue
            ),
            "care/survey": care.Survey.objects.create(
                client=client,
                item=item,
                token_hash="b" * 64,
                expires_at=timezone.now() + timedelta(days=7),
            ),
        }
    return {model: row.pk for model, row in rows.items()}


def _admin_requests(world, sections=ADMIN_SECTIONS):
    """(route, method, path, data, status for the provider admin of A) for every admin
    route of `sections`, naming client B's rows."""
    examples = {
        "admin/^(?P<app_label>tenancy|security|engagements|work|care)/$": "/admin/care/",
        "admin/(?P<url>.*)$": "/admin/nothing-here/",
    }
    for section in sections:
        ids = {**world, "object_id": world["rows"][section]} if section else world
        prefix = f"admin/{section}/" if section else ""
        routes = ADMIN_MODEL_ROUTES if section else ADMIN_SITE_ROUTES
        for suffix, tries in routes.items():
            route = prefix + suffix
            path = examples.get(route) or _admin_path(route, ids)
            for method, data, status in tries:
                yield route, method, path, _admin_data(data, ids), status


def _admin_path(route: str, ids: dict) -> str:
    path = "/" + route
    for name in ("content_type_id", "object_id"):
        path = path.replace(f"<path:{name}>", str(ids[name]))
    return path


def _admin_data(data, ids: dict) -> dict:
    values = {"<client_id>": str(ids["client_id"]), "<object_id>": str(ids["object_id"])}
    return {key: values.get(value, value) for key, value in (data or {}).items()}


def _admin_snapshot():
    from django.apps import apps
    from django.contrib.admin.models import LogEntry

    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        rows = {
            model: list(apps.get_model(*model.split("/")).objects.order_by("pk").values_list())
            for model in ADMIN_MODELS
        }
        passwords = list(User.objects.values_list("id", "password").order_by("id"))
    return _snapshot(), rows, LogEntry.objects.count(), passwords


def test_an_api_token_opens_no_admin_route(client, admin_world, provider_admin, tenant_b):
    from tercero.platform.identity.roles import PERMISSIONS

    # given a provider admin's token for client B, with every scope
    with client_scope(clients=[tenant_b.client]):
        _, plain = create_api_token(
            actor=provider_admin, client=tenant_b.client, name="all", scopes=list(PERMISSIONS)
        )
    before = _admin_snapshot()
    for route, method, path, data, _ in _admin_requests(admin_world):
        # when
        response = getattr(client, method)(path, data, HTTP_AUTHORIZATION=f"Bearer {plain}")
        # then the token is refused off the API
        assert response.status_code == 401, (route, method)
    # and nothing changed
    assert _admin_snapshot() == before


@pytest.mark.mfa
def test_a_session_without_the_second_factor_opens_no_admin_route(client, admin_world):
    from tercero.platform.identity.tests.factories import PASSWORD, enrolled_authenticator

    # given a provider admin of A who typed the password but no code yet
    enrolled_authenticator(admin_world["a_admin"])
    client.post("/login/", {"username": admin_world["a_admin"].email, "password": PASSWORD})
    before = _admin_snapshot()
    for route, method, path, data, _ in _admin_requests(admin_world):
        # when
        response = getattr(client, method)(path, data)
        # then every admin route sends the session back to the code step
        assert (response.status_code, response["Location"]) == (302, "/login/mfa/"), route
    # and nothing changed
    assert _admin_snapshot() == before


@pytest.mark.parametrize("section", ADMIN_SECTIONS)
def test_outsiders_reach_nothing_of_another_client_in_the_admin(client, admin_world, section):
    for outsider in admin_world["outsiders"]:
        before = _admin_snapshot()
        for route, method, path, data, status in _admin_requests(admin_world, [section]):
            # given an outsider to B signed in with a session (working in A, if anywhere)
            client.force_login(outsider)
            # when they open or post to an admin route naming B's rows
            response = getattr(client, method)(path, data)
            # then a client's own people find no admin; A's admin finds nothing of B
            if route == "admin/login/":
                status = 302  # to /login/, which signs nobody in here
            elif outsider != admin_world["a_admin"]:
                status = 404
            assert response.status_code == status, (route, method, outsider.email)
            assert b"Bergmann" not in response.content, (route, method, outsider.email)
        # and nothing changed
        assert _admin_snapshot() == before
