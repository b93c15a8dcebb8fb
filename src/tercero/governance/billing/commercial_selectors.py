"""Reads of credit terms, credits, obligations and baselines, always within the caller's
clients; another client's object is NotFound. Pages and the API share these."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from tercero.delivery.engagements import selectors as engagements
from tercero.governance.billing.models import (
    CreditTerms,
    Obligation,
    ObligationOccurrence,
    SavingsBaseline,
    SlaCredit,
)
from tercero.platform.errors import NotFound


def access_engagement(*, client_ids: list[int], engagement_id: int):
    return engagements.access_engagement(client_ids=client_ids, engagement_id=engagement_id)


def engagements_of(*, client_ids: list[int], client_id: int | None = None):
    found = engagements.engagements(client_ids=client_ids).order_by("name")
    return found.filter(client_id=client_id) if client_id else found


def terms_of(*, engagement) -> CreditTerms | None:
    return CreditTerms.objects.filter(engagement=engagement).prefetch_related("measures").first()


def baseline_of(*, engagement) -> SavingsBaseline | None:
    return SavingsBaseline.objects.filter(engagement=engagement).first()


@dataclass(frozen=True)
class CreditFilters:
    client_id: int | None = None
    engagement_id: int | None = None
    month: date | None = None
    earned_back: bool | None = None


def credits(*, client_ids: list[int], filters: CreditFilters) -> QuerySet[SlaCredit]:
    found = SlaCredit.objects.filter(client_id__in=client_ids).select_related(
        "engagement", "client"
    )
    if filters.client_id:
        found = found.filter(client_id=filters.client_id)
    if filters.engagement_id:
        found = found.filter(engagement_id=filters.engagement_id)
    if filters.month:
        found = found.filter(period=filters.month.replace(day=1))
    if filters.earned_back is not None:
        found = found.filter(earned_back_period__isnull=not filters.earned_back)
    return found.order_by("-period", "engagement__name", "measure")


def obligations(
    *, client_ids: list[int], engagement_id: int | None = None, side: str = ""
) -> QuerySet[Obligation]:
    found = Obligation.objects.filter(client_id__in=client_ids).select_related("engagement")
    if engagement_id:
        found = found.filter(engagement_id=engagement_id)
    if side:
        found = found.filter(side=side)
    return found.order_by("engagement__name", "title", "id")


def access_obligation(*, client_ids: list[int], obligation_id: int) -> Obligation:
    found = obligations(client_ids=client_ids).filter(pk=obligation_id).first()
    if found is None:
        raise NotFound("Obligation not found.")
    return found


@dataclass(frozen=True)
class OccurrenceFilters:
    engagement_id: int | None = None
    side: str = ""
    status: str = ""
    month: date | None = None


def occurrences(
    *, client_ids: list[int], filters: OccurrenceFilters
) -> QuerySet[ObligationOccurrence]:
    found = ObligationOccurrence.objects.filter(client_id__in=client_ids).select_related(
        "obligation__engagement", "met_by"
    )
    if filters.engagement_id:
        found = found.filter(obligation__engagement_id=filters.engagement_id)
    if filters.side:
        found = found.filter(obligation__side=filters.side)
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.month:
        first = filters.month.replace(day=1)
        found = found.filter(due_at__year=first.year, due_at__month=first.month)
    return found.order_by("-due_at", "id")


def access_occurrence(*, client_ids: list[int], occurrence_id: int) -> ObligationOccurrence:
    found = (
        ObligationOccurrence.objects.filter(client_id__in=client_ids, pk=occurrence_id)
        .select_related("obligation")
        .first()
    )
    if found is None:
        raise NotFound("Obligation not found.")
    return found
