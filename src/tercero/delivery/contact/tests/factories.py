"""Builders for contact verification tests: a client's public page and issued codes,
made through the services as the product makes them."""

from django.utils import timezone

from tercero.delivery.contact import services
from tercero.platform.tenancy.scoping import client_scope


def verification_page(client, *, slug="acme", display_name="Acme", **fields):
    with client_scope(clients=[client]):
        return services.create_page(
            actor=None, client_id=client.pk, slug=slug, display_name=display_name, **fields
        )


def outbound(agent, client, *, contact="+1 555 010 1234", channel="call", now=None):
    """(verification, code) as the agent would get them before calling."""
    with client_scope(clients=[client]):
        return services.issue_outbound(
            actor=agent,
            client_id=client.pk,
            channel=channel,
            contact=contact,
            now=now or timezone.now(),
        )
