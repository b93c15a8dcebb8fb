"""Every change to the crm line's records: accounts, contacts, opportunities moving
through the pipeline (with a follow-up work item for the next step), conversions recorded
once per source event and published for billing and the client's CRM, exports, erasure.
Keyword-only, one transaction each, each with its audit event."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto
from tercero.services.crm import events
from tercero.services.crm.models import Account, Contact, Conversion, ExportJob, Opportunity

STAGES = [stage for stage, _ in Opportunity.Stage.choices]
KINDS = [kind for kind, _ in Conversion.Kind.choices]


def _currency(currency: str) -> str:
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput("Give a three-letter currency code.", fields={"currency": "ISO 4217"})
    return currency


def create_account(*, actor: Any, client_id: int, name: str, number: str = "") -> Account:
    name, number = (name or "").strip(), (number or "").strip()
    if not name:
        raise InvalidInput("Give the account a name.", fields={"name": "required"})
    try:
        with transaction.atomic():
            account = Account.objects.create(client_id=client_id, name=name[:200], number=number)
            record(
                action="crm.account.created",
                actor=actor,
                client=client_id,
                object_type="crm_account",
                object_id=account.pk,
            )
    except IntegrityError:
        raise Conflict("Another account has this number.", code="duplicate") from None
    return account


def _sealed(client_id: int, value: str, kind: str) -> tuple[str, str]:
    value = (value or "").strip()
    if not value:
        return "", ""
    return crypto.seal(client_id, value, kind=kind), crypto.lookup_hash(client_id, value)


def add_contact(
    *,
    actor: Any,
    account: Account,
    name: str,
    phone: str = "",
    email: str = "",
    source_lead_id: int | None = None,
) -> Contact:
    """A contact of the account, its name, number and e-mail sealed with lookup hashes."""
    if not (name or "").strip():
        raise InvalidInput("Give the contact's name.", fields={"name": "required"})
    if email and "@" not in email:
        raise InvalidInput("Please check the e-mail address.", fields={"email": "invalid"})
    client_id = account.client_id
    sealed_name, name_hash = _sealed(client_id, name, "name")
    sealed_phone, phone_hash = _sealed(client_id, phone, "")
    sealed_email, email_hash = _sealed(client_id, email, "email")
    with transaction.atomic():
        contact = Contact.objects.create(
            client_id=client_id,
            account=account,
            name=sealed_name,
            name_hash=name_hash,
            phone=sealed_phone,
            phone_hash=phone_hash,
            email=sealed_email,
            email_hash=email_hash,
            source_lead_id=source_lead_id,
        )
        record(
            action="crm.contact.added",
            actor=actor,
            client=client_id,
            object_type="crm_contact",
            object_id=contact.pk,
            payload={"account_id": account.pk},
        )
    return contact


def create_opportunity(
    *,
    actor: Any,
    account: Account,
    title: str,
    value_minor: int = 0,
    currency: str = "USD",
    engagement_id: int | None = None,
    contact: Contact | None = None,
    source_campaign_id: int | None = None,
    source_lead_id: int | None = None,
) -> Opportunity:
    if not (title or "").strip():
        raise InvalidInput("Give the opportunity a title.", fields={"title": "required"})
    if value_minor < 0:
        raise InvalidInput("A value cannot be negative.", fields={"value": "0 or more"})
    with transaction.atomic():
        opportunity = Opportunity.objects.create(
            client_id=account.client_id,
            account=account,
            contact=contact,
            engagement_id=engagement_id,
            title=title.strip()[:200],
            value_minor=value_minor,
            currency=_currency(currency),
            source_campaign_id=source_campaign_id,
            source_lead_id=source_lead_id,
        )
        record(
            action="crm.opportunity.created",
            actor=actor,
            client=account.client_id,
            object_type="crm_opportunity",
            object_id=opportunity.pk,
            payload={"value_minor": value_minor, "currency": opportunity.currency},
        )
    return opportunity


def update_opportunity(
    *,
    actor: Any,
    opportunity: Opportunity,
    version: int,
    stage: str | None = None,
    value_minor: int | None = None,
    next_step: str | None = None,
    next_step_at: datetime | None = None,
    owner_id: int | None = None,
) -> Opportunity:
    """Move the opportunity on (stage, value, owner, next step). A next step with a date
    becomes a `crm.follow_up` item in the engagement's queue. A stale version is 409."""
    if stage is not None and stage not in STAGES:
        raise InvalidInput("Choose a stage of the pipeline.", fields={"stage": ", ".join(STAGES)})
    if value_minor is not None and value_minor < 0:
        raise InvalidInput("A value cannot be negative.", fields={"value": "0 or more"})
    changes: dict[str, Any] = {
        key: value
        for key, value in {
            "stage": stage,
            "value_minor": value_minor,
            "next_step": (next_step or "").strip()[:300] if next_step is not None else None,
            "next_step_at": next_step_at,
            "owner_id": owner_id,
        }.items()
        if value is not None
    }
    with transaction.atomic():
        updated = Opportunity.objects.filter(pk=opportunity.pk, version=version).update(
            **changes, version=version + 1, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict("Someone changed this opportunity; reload it.", code="stale")
        opportunity.refresh_from_db()
        if "next_step" in changes or "next_step_at" in changes:
            _follow_up(actor, opportunity)
        record(
            action="crm.opportunity.updated",
            actor=actor,
            client=opportunity.client_id,
            object_type="crm_opportunity",
            object_id=opportunity.pk,
            payload={"fields": sorted(changes)},
        )
    return opportunity


def _follow_up(actor: Any, opportunity: Opportunity) -> None:
    """The next step as a work item in the engagement's queue for follow-ups."""
    if not opportunity.next_step or opportunity.next_step_at is None:
        return
    queue = (
        work_selectors.queue_taking(
            engagement_id=opportunity.engagement_id, work_type="crm.follow_up"
        )
        if opportunity.engagement_id
        else None
    )
    if queue is None:
        raise InvalidInput(
            "No queue of this engagement takes follow-ups; add one first.",
            fields={"next_step": "no follow-up queue"},
        )
    item = work.create_item(
        actor=actor,
        queue=queue,
        work_type="crm.follow_up",
        channel="back_office",
        external_ref=f"crm:opportunity:{opportunity.pk}:{opportunity.version}",
        payload={
            "opportunity_id": opportunity.pk,
            "account": opportunity.account.name,
            "next_step": opportunity.next_step,
            "next_step_at": opportunity.next_step_at.isoformat(),
        },
    )
    Opportunity.objects.filter(pk=opportunity.pk).update(follow_up_item_id=item.pk)
    opportunity.follow_up_item_id = item.pk


def record_conversion(
    *,
    actor: Any,
    client_id: int,
    kind: str,
    value_minor: int,
    currency: str,
    occurred_at: datetime,
    opportunity: Opportunity | None = None,
    source_event_id: int | None = None,
    campaign_id: int | None = None,
    lead_id: int | None = None,
    agent_id: int | None = None,
    engagement_id: int | None = None,
) -> Conversion:
    """One conversion, published as `crm.conversion.recorded`; a second one from the same
    source event returns the first and publishes nothing."""
    if kind not in KINDS:
        raise InvalidInput("Choose a kind of conversion.", fields={"kind": ", ".join(KINDS)})
    if value_minor < 0:
        raise InvalidInput("A value cannot be negative.", fields={"value": "0 or more"})
    currency = _currency(currency)
    if source_event_id is not None:
        found = Conversion.objects.filter(client_id=client_id, source_event_id=source_event_id)
        if found.exists():
            return found.get()
    with transaction.atomic():
        conversion = Conversion.objects.create(
            client_id=client_id,
            opportunity=opportunity,
            kind=kind,
            value_minor=value_minor,
            currency=currency,
            occurred_at=occurred_at,
            source_event_id=source_event_id,
            source_campaign_id=campaign_id,
            source_lead_id=lead_id,
            agent_id=agent_id,
        )
        work.publish(
            kind=events.CONVERSION_RECORDED,
            client_id=client_id,
            engagement_id=engagement_id,
            data={
                "conversion_id": conversion.pk,
                "opportunity_id": opportunity.pk if opportunity else None,
                "kind": kind,
                "value_minor": value_minor,
                "currency": currency,
                "occurred_at": occurred_at,
                "campaign_id": campaign_id,
                "lead_id": lead_id,
            },
            actor=actor,
        )
        record(
            action="crm.conversion.recorded",
            actor=actor,
            client=client_id,
            object_type="crm_conversion",
            object_id=conversion.pk,
            payload={"kind": kind, "value_minor": value_minor, "currency": currency},
        )
    return conversion


def record_export(*, actor: Any, client_id: int, format: str, rows: int) -> ExportJob:
    """Note that the client's records left through an export (CSV or the API listing)."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            client_id=client_id,
            format=format,
            rows=rows,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        record(
            action="crm.export.made",
            actor=actor,
            client=client_id,
            object_type="crm_export",
            object_id=job.pk,
            payload={"format": format, "rows": rows},
        )
    return job


def erase_contacts(client_id: int, digest: str) -> int:
    """One person's contacts emptied (name, number, e-mail and their hashes), in the
    caller's transaction; the account, opportunities and conversions stay for reports."""
    from django.db.models import Q

    found = Contact.objects.filter(client_id=client_id, erased_at__isnull=True).filter(
        Q(name_hash=digest) | Q(phone_hash=digest) | Q(email_hash=digest)
    )
    ids = list(found.values_list("pk", flat=True))
    if not ids:
        return 0
    Contact.objects.filter(pk__in=ids).update(
        name="",
        name_hash="",
        phone="",
        phone_hash="",
        email="",
        email_hash="",
        erased_at=timezone.now(),
    )
    for contact_id in ids:
        record(
            action="crm.contact.erased",
            actor=None,
            client=client_id,
            object_type="crm_contact",
            object_id=contact_id,
            payload={"why": "erasure request"},
        )
    return len(ids)
