"""Reads of the crm line, always for the caller's clients; pages, the API and the CSV
export share them, so a list and a detail never disagree about who may see what."""

from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from tercero.platform.errors import NotFound
from tercero.platform.security import crypto
from tercero.services.crm.models import Account, Contact, Conversion, Opportunity


def accounts(*, client_ids: list[int], search: str = "") -> QuerySet[Account]:
    found = Account.objects.filter(client_id__in=client_ids)
    if search:
        found = found.filter(name__icontains=search) | found.filter(number__iexact=search)
    return found.annotate(contact_count=Count("contacts", distinct=True)).order_by("name", "pk")


def access_account(*, client_ids: list[int], account_id: int) -> Account:
    found = Account.objects.filter(client_id__in=client_ids, pk=account_id).first()
    if found is None:
        raise NotFound("Account not found.")
    return found


def contacts(*, client_ids: list[int], account_id: int | None = None, search: str = ""):
    """Contacts; a search is an exact name, number or e-mail, matched by its lookup hash
    per client (the sealed values cannot be searched in clear)."""
    found = Contact.objects.filter(client_id__in=client_ids).select_related("account")
    if account_id is not None:
        found = found.filter(account_id=account_id)
    if search:
        hashes = [crypto.lookup_hash(client_id, search.strip()) for client_id in client_ids]
        found = (
            found.filter(name_hash__in=hashes)
            | found.filter(phone_hash__in=hashes)
            | found.filter(email_hash__in=hashes)
        )
    return found.order_by("pk")


def opportunities(
    *, client_ids: list[int], stage: str = "", search: str = ""
) -> QuerySet[Opportunity]:
    found = Opportunity.objects.filter(client_id__in=client_ids).select_related("account")
    if stage:
        found = found.filter(stage=stage)
    if search:
        found = found.filter(title__icontains=search) | found.filter(
            account__name__icontains=search
        )
    return found.order_by("-updated_at", "-pk")


def access_opportunity(*, client_ids: list[int], opportunity_id: int) -> Opportunity:
    found = (
        Opportunity.objects.filter(client_id__in=client_ids, pk=opportunity_id)
        .select_related("account", "contact")
        .first()
    )
    if found is None:
        raise NotFound("Opportunity not found.")
    return found


def pipeline(*, client_ids: list[int]) -> list[dict]:
    """Open and closed opportunities by stage: count and value per currency, in SQL."""
    rows = (
        Opportunity.objects.filter(client_id__in=client_ids)
        .values("stage", "currency")
        .annotate(count=Count("pk"), value_minor=Sum("value_minor"))
        .order_by("stage", "currency")
    )
    return list(rows)


def conversions(
    *,
    client_ids: list[int],
    kind: str = "",
    since: datetime | None = None,
    campaign_id: int | None = None,
) -> QuerySet[Conversion]:
    found = Conversion.objects.filter(client_id__in=client_ids).select_related("opportunity")
    if kind:
        found = found.filter(kind=kind)
    if since is not None:
        found = found.filter(occurred_at__gte=since)
    if campaign_id is not None:
        found = found.filter(source_campaign_id=campaign_id)
    return found.order_by("-occurred_at", "-pk")


def access_conversion(*, client_ids: list[int], conversion_id: int) -> Conversion:
    found = Conversion.objects.filter(client_id__in=client_ids, pk=conversion_id).first()
    if found is None:
        raise NotFound("Conversion not found.")
    return found


def conversion_totals(*, client_ids: list[int]) -> list[dict]:
    return list(
        Conversion.objects.filter(client_id__in=client_ids)
        .values("kind", "currency")
        .annotate(count=Count("pk"), value_minor=Sum("value_minor"))
        .order_by("kind", "currency")
    )
