"""Telemarketing and telesales: campaigns, their lead lists and leads, call attempts, and
the do-not-call and consent records that decide who may be called.

Personal fields (a lead's name and number) are sealed under the client's key; the number
also has a keyed lookup hash (`phone_hash`) so that duplicates and do-not-call matches are
found without opening anything. DNC entries and consent records hold only the hash.

A provider-wide do-not-call entry is stored once per client with `scope="provider"`
(copied to every client when added, and to a new client's first scrub by `dnc.py`), so
every table stays client-owned under row-level security.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class Campaign(ClientOwned):
    class Goal(models.TextChoices):
        SALES = "sales", "Sales"
        APPOINTMENTS = "appointments", "Appointments"
        SURVEYS = "surveys", "Surveys"
        RENEWALS = "renewals", "Renewals"
        COLLECTIONS = "collections", "Collections"

    class Mode(models.TextChoices):
        PREVIEW = "preview", "Preview"
        PROGRESSIVE = "progressive", "Progressive"
        PREDICTIVE = "predictive", "Predictive"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    goal = models.CharField(max_length=12, choices=Goal.choices, default=Goal.SALES)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.PREVIEW)
    pack = models.CharField(max_length=12)  # a compliance rule pack key: "us", "gb", "au"
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    queue = models.ForeignKey(
        "work.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    script = models.JSONField(default=dict)  # {"questions": [{key, text, kind, next...}]}
    dispositions = models.JSONField(default=list)  # [{key, label, hotkey, outcome}]
    lead_fields = models.JSONField(default=list)  # [{key, label, kind, required}]
    recycling = models.JSONField(default=dict)  # {disposition: {after_minutes, max_attempts}}
    abandon_cap_percent = models.DecimalField(max_digits=5, decimal_places=2, default=3)
    caller_id = models.CharField(max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "engagement", "name"], name="campaign_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class LeadList(ClientOwned):
    class Status(models.TextChoices):
        LOADING = "loading", "Loading"
        SCRUBBING = "scrubbing", "Scrubbing"
        READY = "ready", "Ready"
        CLOSED = "closed", "Closed"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="lists")
    name = models.CharField(max_length=120)
    priority = models.IntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOADING)
    source_file = models.CharField(max_length=255, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_merged = models.PositiveIntegerField(default=0)
    rows_held = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{line, field, reason}] of a refused load
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Lead(ClientOwned):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CALLABLE = "callable", "Callable"
        HELD = "held", "Held"
        IN_CALL = "in_call", "In a call"
        DONE = "done", "Done"
        DNC = "dnc", "Do not call"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="leads")
    lead_list = models.ForeignKey(LeadList, on_delete=models.PROTECT, related_name="leads")
    phone = models.CharField(max_length=300)  # sealed, E.164
    phone_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=600, blank=True)  # sealed
    postal_code = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)  # IANA; blank when ambiguous
    fields = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_callable_at = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=300, blank=True)
    disposition = models.CharField(max_length=40, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_agent_id = models.BigIntegerField(null=True, blank=True)
    consent = models.JSONField(default=dict)  # {source, obtained_at, scope} when given
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "campaign", "phone_hash"], name="lead_unique_number"
            )
        ]
        indexes = [
            models.Index(
                fields=["campaign", "status", "next_callable_at"], name="lead_next_callable"
            ),
        ]


class CallAttempt(ClientOwned):
    class Outcome(models.TextChoices):
        ANSWERED = "answered", "Answered"
        BUSY = "busy", "Busy"
        NO_ANSWER = "no_answer", "No answer"
        MACHINE = "machine", "Answering machine"
        ABANDONED = "abandoned", "Abandoned"
        FAILED = "failed", "Failed"

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="attempts_made")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    agent_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    disposition = models.CharField(max_length=40, blank=True)
    talk_seconds = models.PositiveIntegerField(default=0)
    wrap_seconds = models.PositiveIntegerField(default=0)
    call_ref = models.CharField(max_length=100, blank=True)
    answers = models.JSONField(default=dict)
    item_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "started_at"], name="attempt_by_campaign")]


class DncEntry(ClientOwned):
    class Scope(models.TextChoices):
        PROVIDER = "provider", "Everyone the provider calls for"
        CLIENT = "client", "This client"

    class Source(models.TextChoices):
        DISPOSITION = "disposition", "Asked on a call"
        US_NDNC = "registry:US-NDNC", "US National Do Not Call Registry"
        UK_TPS = "registry:UK-TPS", "UK Telephone Preference Service"
        UK_CTPS = "registry:UK-CTPS", "UK Corporate Telephone Preference Service"
        MANUAL = "manual", "Added by hand"

    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.CLIENT)
    phone_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=Source.choices)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "phone_hash", "source"], name="dnc_unique_source"
            )
        ]
        indexes = [models.Index(fields=["client", "phone_hash"], name="dnc_by_hash")]


class RegistryImport(ClientOwned):
    class Kind(models.TextChoices):
        US_NDNC = "US-NDNC", "US National Do Not Call Registry"
        UK_TPS = "UK-TPS", "UK Telephone Preference Service"
        UK_CTPS = "UK-CTPS", "UK Corporate Telephone Preference Service"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Consent(ClientOwned):
    class Scope(models.TextChoices):
        CALLS = "calls", "Calls by a person"
        AUTOMATED = "automated", "Automated or prerecorded calls"
        SMS = "sms", "Text messages"

    phone_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=120)
    obtained_at = models.DateTimeField()
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CALLS)
    evidence = models.CharField(max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client", "phone_hash"], name="consent_by_hash")]
