"""Reads of the outbound line: campaigns, lists, leads, do-not-call entries, and the next
lead to call. `access_*` raise NotFound for another client's ids."""

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from tercero.platform.errors import NotFound
from tercero.services.outbound.models import (
    Campaign,
    Consent,
    DncEntry,
    Lead,
    LeadList,
    RegistryImport,
)

MAX_ID = 2**62


def campaigns(*, client_ids: list[int], status: str = "") -> QuerySet[Campaign]:
    found = Campaign.objects.filter(client_id__in=client_ids).select_related("engagement")
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-pk")


def _access(queryset, object_id: int, what: str):
    if not 0 < object_id < MAX_ID:
        raise NotFound(f"{what} not found.")
    found = queryset.filter(pk=object_id).first()
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


def access_campaign(*, client_ids: list[int], campaign_id: int) -> Campaign:
    return _access(Campaign.objects.filter(client_id__in=client_ids), campaign_id, "Campaign")


def lead_lists(*, campaign: Campaign) -> QuerySet[LeadList]:
    return LeadList.objects.filter(campaign=campaign).order_by("-priority", "pk")


def access_lead_list(*, client_ids: list[int], list_id: int) -> LeadList:
    queryset = LeadList.objects.filter(client_id__in=client_ids).select_related("campaign")
    return _access(queryset, list_id, "Lead list")


def leads(*, campaign: Campaign, status: str = "", lead_list_id: int | None = None):
    found = Lead.objects.filter(campaign=campaign)
    if status:
        found = found.filter(status=status)
    if lead_list_id:
        found = found.filter(lead_list_id=lead_list_id)
    return found.order_by("pk")


def access_lead(*, client_ids: list[int], lead_id: int) -> Lead:
    queryset = Lead.objects.filter(client_id__in=client_ids).select_related("campaign", "lead_list")
    return _access(queryset, lead_id, "Lead")


def dnc_entries(*, client_ids: list[int], source: str = "") -> QuerySet[DncEntry]:
    found = DncEntry.objects.filter(client_id__in=client_ids)
    if source:
        found = found.filter(source=source)
    return found.order_by("-added_at", "-pk")


def access_dnc_entry(*, client_ids: list[int], entry_id: int) -> DncEntry:
    return _access(DncEntry.objects.filter(client_id__in=client_ids), entry_id, "Entry")


def registry_imports(*, client_ids: list[int]) -> QuerySet[RegistryImport]:
    return RegistryImport.objects.filter(client_id__in=client_ids).order_by("-imported_at")


def consents(*, client_ids: list[int]) -> QuerySet[Consent]:
    return Consent.objects.filter(client_id__in=client_ids).order_by("-recorded_at")


def access_consent(*, client_ids: list[int], consent_id: int) -> Consent:
    return _access(Consent.objects.filter(client_id__in=client_ids), consent_id, "Consent")


def next_callable(*, campaign: Campaign, now=None) -> QuerySet[Lead]:
    """The campaign's callable leads due now, in dialling order: the list's priority,
    then the earliest next_callable_at. Locked with SKIP LOCKED on PostgreSQL so that
    agents asking at once get different leads (call inside a transaction)."""
    now = now or timezone.now()
    found = Lead.objects.filter(
        campaign=campaign,
        status=Lead.Status.CALLABLE,
        next_callable_at__lte=now,
        lead_list__status=LeadList.Status.READY,
    ).order_by("-lead_list__priority", "next_callable_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        found = found.select_for_update(skip_locked=True, of=("self",))
    return found
