"""Where the crm line's routes stand in the isolation matrix
(tests/test_isolation_matrix.py)."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/crm/conversions/<conversion_id>": [("get", None)],
        "api/v1/crm/opportunities/<opportunity_id>": [
            ("get", None),
            ("patch", {"version": 1, "stage": "lost"}),
        ],
        "api/v1/crm/accounts/<account_id>": [("get", None)],
        "api/v1/crm/accounts/<account_id>/contacts": [("post", {"name": "Ann Example"})],
        "api/v1/crm/accounts/<account_id>/opportunities": [("post", {"title": "x"})],
    },
    page_routes={
        "crm/opportunities/<int:opportunity_id>/": [
            ("get", None),
            ("post", {"version": "1", "stage": "lost"}),
        ],
        "crm/accounts/<int:account_id>/": [("get", None)],
    },
    scoped_routes={
        "api/v1/crm/conversions": "list filtered to reachable clients",
        "api/v1/crm/opportunities": "list filtered to reachable clients",
        "api/v1/crm/accounts": (
            "list filtered to reachable clients; creating checks client_id (404)"
        ),
        "crm/conversions/": "list (and CSV) filtered to reachable clients",
        "crm/opportunities/": "list, pipeline and CSV filtered to reachable clients",
        "crm/accounts/": "list filtered to reachable clients",
        "crm/accounts/new/": "checks the posted client against the caller's clients (404)",
    },
)
