"""The campaign report: day by day (UTC days), per campaign of the caller's clients,
dials, contacts, sales and talk time, grouped and summed in SQL."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from tercero.services.outbound.board import LIVE
from tercero.services.outbound.models import CallAttempt, Campaign


@dataclass(frozen=True)
class DayRow:
    day: date
    campaign_id: int
    campaign: str
    dials: int
    contacts: int
    sales: int
    talk_seconds: int


def daily(*, client_ids: list[int], since: datetime, until: datetime) -> list[DayRow]:
    campaigns = {
        c.pk: c
        for c in Campaign.objects.filter(client_id__in=client_ids).only("name", "dispositions")
    }
    rows = (
        CallAttempt.objects.filter(
            client_id__in=client_ids, started_at__gte=since, started_at__lt=until
        )
        .annotate(day=TruncDate("started_at"))
        .values("day", "campaign_id", "disposition")
        .annotate(
            dials=Count("pk"),
            contacts=Count("pk", filter=Q(outcome__in=LIVE)),
            talk=Sum("talk_seconds"),
        )
        .order_by("day", "campaign_id")
    )
    totals: dict[tuple[date, int], list[int]] = {}
    for row in rows:
        campaign = campaigns[row["campaign_id"]]
        sale_keys = {
            str(d.get("key")) for d in campaign.dispositions or [] if d.get("outcome") == "sale"
        }
        line = totals.setdefault((row["day"], row["campaign_id"]), [0, 0, 0, 0])
        line[0] += row["dials"]
        line[1] += row["contacts"]
        line[2] += row["dials"] if row["disposition"] in sale_keys else 0
        line[3] += row["talk"] or 0
    return [
        DayRow(day, campaign_id, campaigns[campaign_id].name, *line)
        for (day, campaign_id), line in totals.items()
    ]
