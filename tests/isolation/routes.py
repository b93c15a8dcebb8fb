"""The isolation matrix: every URL pattern in the URL conf, and how an outsider to
client B tries it (tests/test_isolation_matrix.py). A new route that is not here fails
`test_every_route_is_in_the_matrix`, so isolation is decided for each new route."""

from django.urls import URLPattern, URLResolver, get_resolver

from tercero.platform import catalogue

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
    "api/v1/users/<user_id>/invite": [("post", None)],
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
    "people/<int:user_id>/": [("get", None)],
    "people/<int:user_id>/active/": [("post", {"active": "no"})],
    "people/<int:user_id>/invite/": [("post", None)],
    "people/<int:user_id>/profile/": [("post", {"site": "1", "skills": "x = 5"})],
    "people/<int:user_id>/grants/": [("post", {"client": "1"})],
    "people/<int:user_id>/clearances/": [("post", {"engagement": "1"})],
    "people/<int:user_id>/team/": [("post", {"team": ""})],
    "people/grants/<int:grant_id>/revoke/": [("post", None)],
    "people/clearances/<int:clearance_id>/revoke/": [("post", None)],
    "engagements/<int:engagement_id>/": [("get", None), ("post", {"name": "Q"})],
    "engagements/<int:engagement_id>/edit/": [("get", None), ("post", {"name": "x"})],
    "engagements/<int:engagement_id>/status/": [("post", {"status": "scoping"})],
    "engagements/<int:engagement_id>/hours/": [("get", None), ("post", {"version": "1"})],
    "engagements/<int:engagement_id>/calendar/": [
        ("get", None),
        ("post", {"action": "remove_closure", "date": "2026-12-25", "version": "1"}),
    ],
    "engagements/<int:engagement_id>/sla/": [
        ("get", None),
        ("post", {"action": "remove", "target": "resolution:", "version": "1"}),
    ],
    "engagements/<int:engagement_id>/reach/": [("get", None), ("post", {"version": "1"})],
    "engagements/<int:engagement_id>/queues/<int:queue_id>/": [
        ("get", None),
        ("post", {"name": "Q", "version": "1"}),
    ],
    "agents/<int:agent_id>/": [("get", None), ("post", {"skills": "x = 5"})],
    "work/contact/<int:verification_id>/": [
        ("get", None),
        ("post", {"action": "confirm", "code": "123456"}),
        ("post", {"action": "end"}),
    ],
    "work/contact/pages/<int:client_id>/": [
        ("get", None),
        ("post", {"display_name": "Taken", "slug": "taken", "is_active": "on"}),
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
    "settings/": "the provider admin's own provider settings, no client data",
    "settings/clients/": "lists the caller's reachable clients only; onboarding creates one",
    "work/": "the caller's own agent and items",
    "work/mine/": "the caller's own items",
    "work/presence/": "the caller's own presence",
    "work/next/": "claims only within the caller's reachable clients",
    "work/items/": "list filtered to reachable clients (test_pages: lists)",
    "work/items/bulk/": "ticked ids are looked up within reachable clients only",
    "ops/": "floor figures of reachable clients only (test_pages: floor)",
    "ops/live/": "floor figures of reachable clients only",
    "ops/agents/": "agents granted to reachable clients (a team lead's own teams); items of "
    "reachable clients only (test_pages_floor_agents)",
    "ops/wallboard/": "queues of reachable clients only; another client is 404 "
    "(test_pages_wallboard)",
    "ops/wallboard/live/": "queues of reachable clients only; another client is 404",
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
    "sites/<int:site_id>/": "provider sites are global, not client data",
    "people/": "staff page: provider staff and people of reachable clients only; the client "
    "chosen for a new person is looked up among reachable clients",
    "people/import/": "staff page: grants only to reachable clients, by name (test_roster)",
    "people/teams/": "teams are provider-wide like sites, not client data; staff pages only",
    "people/teams/<int:team_id>/": "teams are provider-wide like sites, not client data",
    "people/teams/<int:team_id>/members/": "teams and agents are provider-wide, not client data",
    "people/teams/<int:team_id>/members/<int:agent_id>/remove/": "teams are provider-wide",
    "api/v1/teams": "teams are provider-wide like sites, not client data",
    "api/v1/teams/<team_id>": "teams are provider-wide like sites, not client data",
    "api/v1/teams/<team_id>/members": "teams and agents are provider-wide, not client data",
    "api/v1/teams/<team_id>/members/<agent_id>": "teams are provider-wide",
    "api/v1/people/import": "grants only to reachable clients, by name (test_roster)",
    "account/welcome/<str:uid>/<str:token>/": "public: the invited person's own account, "
    "behind a one-time token (test_pages_people)",
    "audit/": "events of reachable clients and provider-wide ones only (test_pages_trail)",
    "audit/verify/": "names an event of another client by number only (test_pages_trail)",
    "api/v1/contacts/outbound": "checks client_id, work_item_id, engagement_id (404)",
    "api/v1/contacts/inbound": "checks client_id, work_item_id, engagement_id (404)",
    "api/v1/contacts/verifications": "list filtered to reachable clients",
    "api/v1/contacts/pages": "list filtered to reachable clients; create checks client_id (404)",
    "work/contact/pages/": "staff page: reachable clients and their pages only",
    "portal/verification-page/": "the client admin's own client's page only",
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


def admin_model_routes() -> set[str]:
    return {f"admin/{model}/{suffix}" for model in ADMIN_MODELS for suffix in ADMIN_MODEL_ROUTES}


def object_path(route: str, ids: dict) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<{name}>", str(value))
    return path


def page_path(route: str, ids: dict) -> str:
    path = "/" + route
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    return path


def admin_requests(world, sections=ADMIN_SECTIONS):
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
            path = examples.get(route) or admin_path(route, ids)
            for method, data, status in tries:
                yield route, method, path, admin_data(data, ids), status


def admin_path(route: str, ids: dict) -> str:
    path = "/" + route
    for name in ("content_type_id", "object_id"):
        path = path.replace(f"<path:{name}>", str(ids[name]))
    return path


def admin_data(data, ids: dict) -> dict:
    values = {"<client_id>": str(ids["client_id"]), "<object_id>": str(ids["object_id"])}
    return {key: values.get(value, value) for key, value in (data or {}).items()}
