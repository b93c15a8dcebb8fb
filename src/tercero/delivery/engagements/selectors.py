from django.db.models import Q, QuerySet

from tercero.delivery.engagements.models import Engagement
from tercero.platform.errors import NotFound


def engagements(
    *,
    client_ids: list[int],
    client_id: int | None = None,
    status: str | None = None,
    service_line: str | None = None,
    office: str | None = None,
    q: str = "",
) -> QuerySet[Engagement]:
    found = Engagement.objects.filter(client_id__in=client_ids)
    if client_id is not None:
        found = found.filter(client_id=client_id)
    for field, value in (("status", status), ("service_line", service_line), ("office", office)):
        if value:
            found = found.filter(**{field: value})
    if q:
        found = found.filter(Q(name__icontains=q) | Q(scope__icontains=q))
    return found


def access_engagement(*, client_ids: list[int], engagement_id: int) -> Engagement:
    """The engagement if it belongs to one of `client_ids`; NotFound otherwise."""
    found = Engagement.objects.filter(client_id__in=client_ids, pk=engagement_id).first()
    if found is None:
        raise NotFound("Engagement not found.")
    return found
