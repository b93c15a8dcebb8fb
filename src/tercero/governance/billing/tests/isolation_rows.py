"""A client's issued invoice for the isolation matrix (tests/isolation/worlds.py): the
routes taking an invoice id are tried against it by people of another client."""

from tercero.governance.billing import invoices
from tercero.governance.billing.tests.invoice_setup import NOVEMBER, card, usage
from tercero.platform.tenancy.scoping import client_scope


def invoice_rows(tenant) -> dict:
    with client_scope(clients=[tenant.client]):
        version = card(
            tenant.client,
            currency="EUR",
            lines=[dict(unit="transaction", price_minor=150, description="Forms keyed")],
        )
        usage(version, unit="transaction", quantity=40, key="isolation:forms")
        (draft,) = invoices.draft_invoices(actor=None, client_id=tenant.client.pk, period=NOVEMBER)
        invoices.review_invoice(actor=tenant.team_lead, invoice_id=draft.pk, version=1)
        issued = invoices.issue_invoice(actor=tenant.agent, invoice_id=draft.pk, version=2)
    return {"invoice_id": issued.pk}
