from django.db.models import QuerySet

from tercero.platform.errors import NotFound
from tercero.platform.tenancy.models import Client


def clients(
    *, client_ids: list[int], status: str | None = None, country: str | None = None, q: str = ""
) -> QuerySet[Client]:
    found = Client.objects.filter(pk__in=client_ids)
    if status:
        found = found.filter(status=status)
    if country:
        found = found.filter(country=country.upper())
    if q:
        found = found.filter(legal_name__icontains=q)
    return found


def access_client(*, client_ids: list[int], client_id: int) -> Client:
    found = (
        Client.objects.filter(pk__in=client_ids, pk=client_id).first()
        if client_id in client_ids
        else None
    )
    if found is None:
        raise NotFound("Client not found.")
    return found
