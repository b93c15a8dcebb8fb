"""The client's customers as the crm line keeps them: accounts, their contacts (names,
numbers and e-mails sealed, with keyed lookup hashes for search and erasure), the
opportunities of the pipeline, conversions (typed, valued, once per source event) and
exports handed to the client's CRM."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class Account(ClientOwned):
    name = models.CharField(max_length=200)
    number = models.CharField(max_length=40, blank=True)  # the client's own account number
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "number"],
                condition=~models.Q(number=""),
                name="crm_account_number_once",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contact(ClientOwned):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=600, blank=True)  # sealed
    name_hash = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=300, blank=True)  # sealed, E.164
    phone_hash = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=600, blank=True)  # sealed
    email_hash = models.CharField(max_length=64, blank=True)
    source_lead_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "phone_hash"], name="crm_contact_phone"),
            models.Index(fields=["client", "email_hash"], name="crm_contact_email"),
            models.Index(fields=["client", "name_hash"], name="crm_contact_name"),
        ]


class Opportunity(ClientOwned):
    class Stage(models.TextChoices):
        NEW = "new", "New"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="opportunities"
    )
    engagement_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.NEW)
    value_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    next_step = models.CharField(max_length=300, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    follow_up_item_id = models.BigIntegerField(null=True, blank=True)
    source_campaign_id = models.BigIntegerField(null=True, blank=True)
    source_lead_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["client", "stage"], name="crm_opportunity_stage")]


class Conversion(ClientOwned):
    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        APPOINTMENT = "appointment", "Appointment"
        RENEWAL = "renewal", "Renewal"
        SURVEY = "survey", "Survey completed"
        PAYMENT = "payment", "Payment promised"

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, null=True, blank=True, related_name="conversions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    occurred_at = models.DateTimeField()
    source_event_id = models.BigIntegerField(null=True, blank=True)  # the outbox event
    source_campaign_id = models.BigIntegerField(null=True, blank=True)
    source_lead_id = models.BigIntegerField(null=True, blank=True)
    agent_id = models.BigIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "source_event_id"],
                condition=models.Q(source_event_id__isnull=False),
                name="crm_conversion_once_per_event",
            )
        ]


class ExportJob(ClientOwned):
    class Format(models.TextChoices):
        CSV = "csv", "CSV file"
        API = "api", "API listing"

    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=10, default="done")
    rows = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
