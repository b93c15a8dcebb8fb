"""Where the outbound line's routes stand in the isolation matrix
(tests/test_isolation_matrix.py): routes taking another client's object id, with the
requests an outsider tries (each must answer 404 and change nothing), and routes without
one, with why they cannot leak."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/outbound/campaigns/<campaign_id>": [
            ("get", None),
            ("patch", {"version": 1, "changes": {"name": "x"}}),
        ],
        "api/v1/outbound/campaigns/<campaign_id>/status": [
            ("post", {"version": 1, "status": "paused"})
        ],
        "api/v1/outbound/campaigns/<campaign_id>/lists": [
            ("get", None),
            ("post", {"name": "x", "rows": [{"phone": "+12125550123"}]}),
        ],
        "api/v1/outbound/campaigns/<campaign_id>/leads": [("get", None)],
        "api/v1/outbound/lists/<list_id>": [("get", None)],
        "api/v1/outbound/leads/<lead_id>": [("get", None)],
        "api/v1/outbound/leads/<lead_id>/why-not": [("get", None)],
        "api/v1/outbound/dnc/<entry_id>": [("delete", None)],
        "api/v1/outbound/consents/<consent_id>/withdraw": [("post", None)],
        "api/v1/outbound/campaigns/<campaign_id>/dial": [("post", None)],
        "api/v1/outbound/leads/<lead_id>/dial": [("post", None)],
        "api/v1/outbound/attempts/<attempt_id>": [("get", None)],
        "api/v1/outbound/attempts/<attempt_id>/disposition": [
            ("post", {"disposition": "do_not_call"})
        ],
    },
    page_routes={
        "outbound/campaigns/<int:campaign_id>/": [("get", None), ("post", {"name": "x"})],
        "outbound/campaigns/<int:campaign_id>/status/": [
            ("post", {"status": "paused", "version": "1"})
        ],
        "outbound/campaigns/<int:campaign_id>/lists/": [("post", {"name": "x"})],
        "outbound/lists/<int:list_id>/": [("get", None)],
        "outbound/leads/<int:lead_id>/": [("get", None)],
        "outbound/dnc/<int:entry_id>/remove/": [("post", None)],
        "outbound/calls/<int:attempt_id>/": [("get", None)],
        "outbound/calls/<int:attempt_id>/end/": [("post", {"disposition": "do_not_call"})],
        "outbound/campaigns/<int:campaign_id>/next-call/": [("post", None)],
    },
    scoped_routes={
        "outbound/board/": "figures of the reachable clients' campaigns only",
        "outbound/reports/": "rows of the reachable clients' campaigns only",
        "api/v1/outbound/board": "figures of the reachable clients' campaigns only",
        "api/v1/outbound/cti/<line>/events": (
            "signed with the line's own secret; unsigned, unknown line or a call of an "
            "engagement on another line is 401/404 (test_dialler_cti), no session used"
        ),
        "api/v1/outbound/campaigns": (
            "list filtered to reachable clients; create checks engagement_id (404)"
        ),
        "api/v1/outbound/dnc": (
            "list filtered to reachable clients; adding checks client_id against the "
            "caller's clients (404)"
        ),
        "api/v1/outbound/registry-imports": (
            "list filtered to reachable clients; an import checks client_id (404)"
        ),
        "api/v1/outbound/consents": (
            "list filtered to reachable clients; recording checks client_id (404)"
        ),
        "outbound/campaigns/": "list filtered to reachable clients' campaigns",
        "outbound/campaigns/new/": (
            "engagements offered from reachable clients only; another's is 404"
        ),
        "outbound/dnc/": (
            "entries, imports and consents of reachable clients only; a form naming "
            "another client is refused"
        ),
    },
)
