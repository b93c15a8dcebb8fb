"""The crm line's demo: an account with a contact, an open opportunity and a won one
with its conversion, for the first demo client."""

from datetime import UTC, datetime

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm import services
from tercero.services.crm.models import Account


def load(*, clients: dict) -> None:
    client = clients.get("northwind") or next(iter(clients.values()), None)
    if client is None:
        return
    with client_scope(clients=[client]):
        if Account.objects.filter(client=client, number="NW-1001").exists():
            return
        account = services.create_account(
            actor=None, client_id=client.pk, name="Harbour Office Supplies", number="NW-1001"
        )
        contact = services.add_contact(
            actor=None, account=account, name="Dana Whitfield", phone="+12125550187"
        )
        services.create_opportunity(
            actor=None,
            account=account,
            title="Annual paper contract",
            value_minor=480_000,
            currency="USD",
            contact=contact,
        )
        won = services.create_opportunity(
            actor=None,
            account=account,
            title="Printer fleet renewal",
            value_minor=125_000,
            currency="USD",
            contact=contact,
        )
        services.update_opportunity(actor=None, opportunity=won, version=won.version, stage="won")
        services.record_conversion(
            actor=None,
            client_id=client.pk,
            kind="renewal",
            value_minor=125_000,
            currency="USD",
            occurred_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
            opportunity=won,
        )
