"""The commercial terms' routes in the isolation matrix (merged into isolation.py): each
object route with the requests an outsider tries (404, nothing changed), and the routes
without an object id, with why they cannot leak."""

API_ROUTES = {
    "api/v1/billing/credit-terms/<engagement_id>": [
        ("get", None),
        (
            "put",
            {
                "version": 0,
                "at_risk_percent": "10",
                "pool_percent": "100",
                "measures": [
                    {"measure": "resolution", "allocation_percent": "100", "target_percent": "90"}
                ],
            },
        ),
    ],
    "api/v1/billing/engagements/<engagement_id>/credit-assessment": [("get", None)],
    "api/v1/billing/obligations/<obligation_id>/retire": [("post", {"version": 1})],
    "api/v1/billing/obligation-occurrences/<occurrence_id>/met": [("post", {"version": 1})],
    "api/v1/billing/baselines/<engagement_id>": [
        ("put", {"unit": "transaction", "cost_minor": 100, "currency": "EUR"})
    ],
    "api/v1/billing/clients/<client_id>/service-review": [("get", None)],
    "api/v1/billing/clients/<client_id>/service-review/pdf": [("get", None)],
}

PAGE_ROUTES = {
    "billing/credits/terms/<int:engagement_id>/": [
        ("get", None),
        ("post", {"version": "0", "at_risk_percent": "10", "pool_percent": "100"}),
    ],
    "billing/obligations/<int:obligation_id>/retire/": [("post", {"version": "1"})],
    "billing/obligations/due/<int:occurrence_id>/met/": [("post", {"version": "1"})],
    "billing/savings/baseline/<int:engagement_id>/": [
        ("post", {"unit": "transaction", "cost": "1.00", "currency": "EUR"})
    ],
    "billing/review/<int:client_id>/": [("get", None)],
    "billing/review/<int:client_id>/pdf/": [("get", None)],
}

SCOPED_ROUTES = {
    "api/v1/billing/credits": "the caller's clients' credits only",
    "api/v1/billing/obligations": "lists the caller's clients' obligations; create checks "
    "engagement_id (404)",
    "api/v1/billing/obligation-occurrences": "the caller's clients' due dates only",
    "api/v1/billing/savings": "the caller's clients' engagements only",
    "api/v1/billing/margins": "provider staff only (a client's people get 404), the "
    "caller's clients' engagements only",
    "billing/credits/": "the caller's clients' credits only",
    "billing/obligations/": "the caller's clients' obligations only",
    "billing/obligations/new/": "the posted engagement must be one of the caller's; another "
    "is 404 and nothing is written",
    "billing/savings/": "the caller's clients' engagements only",
    "billing/margin/": "provider staff only; the caller's clients' engagements only",
    "billing/review/": "lists the caller's clients only",
}
