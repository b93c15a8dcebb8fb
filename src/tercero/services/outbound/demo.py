"""The outbound line's share of the demo provider: for Northwind (US), a telemarketing
engagement with a dialling queue, one active campaign under the US rules with a ready
list of 50 fictional leads (numbers in the 555-01xx range, kept for fiction), two of them
on the do-not-call list (one by hand, one from a registry file), and a consent record.
Idempotent: a second run finds the campaign and does nothing."""

from datetime import UTC, datetime

from tercero.delivery.engagements.selectors import engagements
from tercero.delivery.engagements.services import create_engagement
from tercero.delivery.work import services as work
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import campaigns, consent, dnc, lead_import
from tercero.services.outbound.models import Campaign

ENGAGEMENT = "Renewals telemarketing"
CAMPAIGN = "Spring plan renewals"
AREAS = ("212", "415", "312", "305", "206")  # New York, San Francisco, Chicago, Miami, Seattle
FIRST = ("Ava", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "June")
LAST = ("Archer", "Brook", "Castro", "Diaz", "Ekwueme")
SCRIPT = {
    "questions": [
        {"key": "intro", "text": "Is this a good moment to talk about your plan renewal?",
         "next": {"yes": "offer", "no": "end"}},
        {"key": "offer", "text": "Would you renew for a year at this year's price?",
         "next": {"yes": "end", "no": "end"}},
    ]
}  # fmt: skip


def rows() -> list[tuple[int, dict[str, str]]]:
    """50 fictional leads: 555-0100 to 555-0109 in five area codes."""
    out = []
    for index in range(50):
        area, last_digit = AREAS[index // 10], index % 10
        out.append(
            (
                index + 2,
                {
                    "phone": f"({area}) 555-010{last_digit}",
                    "name": f"{FIRST[index % 10]} {LAST[index // 10]}",
                    "plan": "gold" if index % 3 == 0 else "basic",
                },
            )
        )
    return out


def load(*, admin, clients) -> None:
    client = clients["northwind"]
    with client_scope(clients=[client]):
        if Campaign.objects.filter(client=client, name=CAMPAIGN).exists():
            return
        engagement = engagements(client_ids=[client.pk], q=ENGAGEMENT).first()
        if engagement is None:
            engagement = create_engagement(
                actor=admin, client=client, name=ENGAGEMENT, service_line="telemarketing",
                category="BPO", office="front", orientation="horizontal",
                time_zone="America/New_York", pricing_model="per_hour", languages=["en"],
                channels=["phone"],
                working_hours={day: [["09:00", "20:00"]] for day in range(6)},
            )  # fmt: skip
        queue = work.create_queue(
            actor=admin,
            engagement=engagement,
            name="Renewal diallers",
            work_types=["outbound.call"],
        )
        campaign = campaigns.create_campaign(
            actor=admin,
            engagement=engagement,
            fields={
                "name": CAMPAIGN, "goal": "renewals", "mode": "preview", "pack": "us",
                "queue": queue.pk, "script": SCRIPT, "caller_id": "+12125550100",
                "lead_fields": [{"key": "plan", "label": "Plan", "kind": "choice",
                                 "choices": ["gold", "basic"]}],
            },
        )  # fmt: skip
        dnc.add_number(actor=admin, client_ids=[client.pk], number="+12125550103")
        dnc.import_registry(
            actor=admin, client_id=client.pk, kind="US-NDNC", file_name="ndnc-demo.txt",
            text="4155550107\n",
        )  # fmt: skip
        consent.record_consent(
            actor=admin, client_id=client.pk, number="+13125550101", source="renewal web form",
            obtained_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC), scope="automated",
            evidence="form submission 88213",
        )  # fmt: skip
        lead_import.load(
            actor=admin, campaign=campaign, name="Renewals due in spring", rows=rows(),
            source_file="renewals-spring.csv", priority=10,
        )  # fmt: skip
        campaigns.set_status(actor=admin, campaign=campaign, version=campaign.version,
                             status="active")  # fmt: skip
