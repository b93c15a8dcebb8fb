"""Where the billing routes stand in the isolation matrix (tests/test_isolation_matrix.py):
routes taking another client's object id, with the requests an outsider tries (each must
answer 404 and change nothing), and routes without one, with why they cannot leak."""

from typing import Any, cast

from tercero.governance.billing import isolation_commercial as commercial
from tercero.platform.catalogue import Isolation

# the commercial routes' literal mixes bodies of several shapes, so it is inferred as
# dict[str, object]: it has the shape of the rest of the matrix
Routes = dict[str, list[tuple[str, Any]]]

ISOLATION = Isolation(
    api_routes={
        "api/v1/billing/rate-cards/<rate_card_id>": [
            ("get", None),
            ("patch", {"version": 1, "changes": {"name": "Taken"}}),
        ],
        "api/v1/billing/rate-cards/<rate_card_id>/versions": [
            ("post", {"effective_from": "2030-01-01"})
        ],
        "api/v1/billing/rate-card-versions/<rate_version_id>": [
            ("patch", {"version": 1, "changes": {"note": "x"}})
        ],
        "api/v1/billing/rate-card-versions/<rate_version_id>/lines": [
            ("post", {"unit": "transaction", "price_minor": 1})
        ],
        "api/v1/billing/rate-lines/<rate_line_id>": [
            ("patch", {"version": 1, "changes": {"price_minor": 2}}),
            ("delete", None),
        ],
        "api/v1/billing/clients/<client_id>/rating": [("get", None)],
        "api/v1/billing/invoices/<invoice_id>": [("get", None)],
        "api/v1/billing/invoices/<invoice_id>/review": [("post", {"version": 1})],
        "api/v1/billing/invoices/<invoice_id>/reopen": [("post", {"version": 1})],
        "api/v1/billing/invoices/<invoice_id>/issue": [("post", {"version": 1})],
        "api/v1/billing/invoices/<invoice_id>/credit-notes": [("post", {"reason": "Taken"})],
        "api/v1/billing/invoices/<invoice_id>/ubl": [("get", None)],
        "api/v1/billing/invoices/<invoice_id>/pdf": [("get", None)],
        "api/v1/billing/invoices/<invoice_id>/csv": [("get", None)],
        "api/v1/billing/parties/<client_id>": [
            ("get", None),
            ("patch", {"version": 0, "tax_id": "TAKEN"}),
        ],
        **cast(Routes, commercial.API_ROUTES),
    },
    page_routes={
        "billing/rates/<int:rate_card_id>/": [("get", None)],
        "billing/rates/<int:rate_card_id>/edit/": [("post", {"version": "1", "name": "x"})],
        "billing/rates/<int:rate_card_id>/versions/": [("post", {"effective_from": "2030-01-01"})],
        "billing/versions/<int:rate_version_id>/": [
            ("post", {"version": "1", "effective_from": "2030-01-01"})
        ],
        "billing/versions/<int:rate_version_id>/lines/": [
            ("post", {"unit": "transaction", "price": "1"})
        ],
        "billing/lines/<int:rate_line_id>/remove/": [("post", None)],
        "billing/invoices/<int:invoice_id>/": [("get", None)],
        "billing/invoices/<int:invoice_id>/credit/": [("post", {"reason": "Taken"})],
        "billing/invoices/<int:invoice_id>/review/": [("post", {"version": "1"})],
        "billing/invoices/<int:invoice_id>/reopen/": [("post", {"version": "1"})],
        "billing/invoices/<int:invoice_id>/issue/": [("post", {"version": "1"})],
        "billing/invoices/<int:invoice_id>/pdf/": [("get", None)],
        "billing/invoices/<int:invoice_id>/csv/": [("get", None)],
        "billing/invoices/<int:invoice_id>/ubl/": [("get", None)],
        "billing/parties/<int:client_id>/": [("post", {"version": "0", "tax_id": "TAKEN"})],
        **cast(Routes, commercial.PAGE_ROUTES),
    },
    scoped_routes={
        "api/v1/billing/rate-cards": "lists and creates within the caller's clients; "
        "another client's engagement is 404",
        "api/v1/billing/usage": "the ledger of the caller's clients only",
        "api/v1/billing/usage/totals": "totals of the caller's clients only",
        "billing/rates/": "the cards of the caller's clients only",
        "billing/rates/new/": "another client's engagement is 404 (a message)",
        "billing/usage/": "the ledger of the caller's clients only",
        "api/v1/billing/invoices": "the caller's clients' invoices only (a client's people: "
        "issued ones only)",
        "api/v1/billing/invoices/draft": "the body's client must be one of the caller's; "
        "another is 404",
        "billing/invoices/": "the caller's clients' invoices only (a client's people: issued "
        "ones only)",
        "billing/invoices/draft/": "the posted client must be one of the caller's; another is "
        "refused with a message and nothing drafted",
        **commercial.SCOPED_ROUTES,
    },
)
