"""Where the care line's routes stand in the isolation matrix (tests/test_isolation_matrix.py):
routes taking another client's object id, with the requests an outsider tries (each must
answer 404 and change nothing), and routes without one, with why they cannot leak."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/care/mailboxes/<mailbox_id>/inbound": [("post", {"raw": "x"})],
        "api/v1/care/tickets/<ticket_id>/messages": [
            ("get", None),
            ("post", {"kind": "reply", "body": "x"}),
        ],
        "api/v1/care/tickets/<ticket_id>/tier": [
            ("post", {"direction": "up", "note": "x" * 30, "version": 1})
        ],
        "api/v1/care/tickets/<ticket_id>/links": [("post", {"other": 1, "how": "merge"})],
        "api/v1/care/tickets/<ticket_id>/automations": [("get", None)],
        "api/v1/care/automations/<automation_id>": [
            ("get", None),
            ("patch", {"version": 1, "is_active": False}),
        ],
        "api/v1/care/engagements/<engagement_id>/automations/order": [("put", {"order": [1]})],
        "api/v1/care/mailboxes/<mailbox_id>": [
            ("get", None),
            ("patch", {"acknowledgement": "x"}),
        ],
        "api/v1/care/macros/<macro_id>": [("get", None), ("patch", {"name": "x"})],
        "api/v1/care/web-channels/<channel_id>": [("get", None), ("patch", {"title": "x"})],
        "api/v1/care/custom-fields/<field_id>": [("get", None), ("patch", {"label": "x"})],
        "api/v1/care/checklists/<checklist_id>": [("get", None), ("patch", {"title": "x"})],
        "api/v1/care/tiers/<tier_id>": [
            ("get", None),
            ("patch", {"tier": "L3"}),
            ("delete", None),
        ],
        "api/v1/care/sla-policies/<engagement_id>": [
            ("get", None),
            ("put", {"version": 1, "targets": []}),
        ],
    },
    page_routes={
        "care/tickets/<int:ticket_id>/": [("get", None)],
        "care/tickets/<int:ticket_id>/conversation/": [("get", None)],
        "care/tickets/<int:ticket_id>/typing/": [("post", None)],
        "care/tickets/<int:ticket_id>/leave/": [("post", None)],
        "care/tickets/<int:ticket_id>/customer/": [("get", None)],
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
        "care/automations/<int:automation_id>/": [("get", None), ("post", {"name": "x"})],
        "care/automations/<int:automation_id>/switch/": [
            ("post", {"is_active": "0", "version": "1"})
        ],
        "care/automations/<int:automation_id>/move/": [("post", {"to": "later"})],
        "care/mailboxes/<int:mailbox_id>/": [("get", None), ("post", {"address": "x@y.example"})],
        "care/mailboxes/<int:mailbox_id>/signing/": [
            ("post", {"action": "make", "selector": "outsider"})
        ],
        "care/macros/<int:macro_id>/": [("get", None), ("post", {"name": "x"})],
        "care/web-channels/<int:channel_id>/": [("get", None), ("post", {"title": "x"})],
        "care/custom-fields/<int:field_id>/": [("get", None), ("post", {"label": "x"})],
        "care/checklists/<int:checklist_id>/": [("get", None), ("post", {"title": "x"})],
        "care/tiers/<int:tier_id>/": [("get", None), ("post", {"tier": "L3"})],
        "care/tiers/<int:tier_id>/remove/": [("post", None)],
        "care/sla-policies/<int:engagement_id>/": [
            ("get", None),
            ("post", {"version": "1", "target-TOTAL_FORMS": "0"}),
        ],
    },
    scoped_routes={
        "api/v1/care/cti/<endpoint_id>/events": (
            "signed with the endpoint's own secret; unsigned or unknown endpoint is 401 "
            "(test_cti), so no session reaches another client's calls"
        ),
        "care/reports/": (
            "figures of reachable clients only; another client's engagement, agent or site id "
            "is 404 (test_reporting, test_reports)"
        ),
        "api/v1/care/reports": (
            "figures of reachable clients only; another client_id, engagement_id, agent_id or "
            "site_id is 404 (test_reports)"
        ),
        "care/kb/": "list filtered to reachable clients; search runs on their articles only",
        "care/automations/": "list filtered to reachable clients' rules",
        "care/automations/new/": (
            "engagements offered from reachable clients only; another's engagement id is 404"
        ),
        "care/mailboxes/": "list filtered to reachable clients' mailboxes",
        "care/mailboxes/new/": "engagements offered from reachable clients only; another's is 404",
        "care/macros/": "list filtered to reachable clients' macros",
        "care/macros/new/": "engagements offered from reachable clients only; another's is 404",
        "api/v1/care/mailboxes": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/care/macros": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/care/automations": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "care/web-channels/": "list filtered to reachable clients' web channels",
        "care/web-channels/new/": (
            "engagements offered from reachable clients only; another's is 404"
        ),
        "care/custom-fields/": "list filtered to reachable clients' custom fields",
        "care/custom-fields/new/": (
            "engagements offered from reachable clients only; another's is 404"
        ),
        "care/checklists/": "list filtered to reachable clients' checklists",
        "care/checklists/new/": "clients offered from reachable clients only; another's is 404",
        "care/tiers/": "list filtered to reachable clients' tiers",
        "care/tiers/new/": "engagements offered from reachable clients only; another's is 404",
        "care/sla-policies/": "list of reachable clients' care engagements only",
        "care/setup-copy/": (
            "engagements offered and accepted from reachable clients only; another's is 404 "
            "(test_setup_copy)"
        ),
        "api/v1/care/web-channels": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/care/custom-fields": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/care/checklists": (
            "list filtered to reachable clients; create checks client_id (404)"
        ),
        "api/v1/care/tiers": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/care/sla-policies": "list of reachable clients' care engagements only",
        "api/v1/care/setup-copies": (
            "both engagement ids checked against reachable clients (404, test_setup_copy)"
        ),
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
        "care/w/<slug:key>/requests/": (
            "public; a customer's session lists their own tickets at the key's client only; "
            "asking for a link answers alike for any address (test_customer_portal)"
        ),
        "care/w/<slug:key>/requests/sign-in/<str:signed>/": (
            "public; a signed single-use link of the key's own client (test_customer_portal: "
            "tampered, used, expired or another channel's key refused)"
        ),
        "care/w/<slug:key>/requests/sign-out/": "public; ends the customer's own session",
        "care/w/<slug:key>/requests/<int:ticket_id>/": (
            "public; the ticket is looked up among the signed-in customer's own tickets at the "
            "key's client (test_customer_portal: another customer's or client's ticket 404, "
            "nothing written)"
        ),
        "care/survey/<str:signed>/": (
            "public; a signed single-use link naming one survey (test_channels: tampered 404)"
        ),
    },
)
