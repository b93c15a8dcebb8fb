"""Quality assurance: scorecards and their versions, sampling rules, samples, evaluations,
coaching, disputes, calibration and batch acceptance (ISO 2859-1 lots).

Items and agents are plain integer ids: governance reads the engine and workforce through
their selectors and services, never their tables."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned

USER = settings.AUTH_USER_MODEL


class Scorecard(ClientOwned):  # type: ignore[django-manager-missing]
    """What an evaluation of one engagement's work type checks; its definition lives in
    numbered versions (an evaluation keeps the version it used)."""

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Conversation"
        FIELDS = "fields", "Keyed fields"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    work_type = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CONVERSATION)
    is_active = models.BooleanField(default=False)
    current_version = models.PositiveIntegerField(default=1)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(ClientOwned):
    """One numbered definition of a scorecard; never edited once an evaluation uses it."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scorecard_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="quality_scorecard_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id} v{self.number}"


STRATA = ("new_agent", "low_csat", "long_handle", "escalated", "reopened")


class SamplingRule(ClientOwned):  # type: ignore[django-manager-missing]
    """Which resolved items of an engagement's work type are evaluated, and how precisely
    each agent's accuracy must be known."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    work_type = models.CharField(max_length=40)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    queue_id = models.BigIntegerField(null=True, blank=True)  # the QA queue it fills
    random_share = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    minimum_per_agent_week = models.PositiveIntegerField(default=0)
    strata = models.JSONField(default=list)
    target_confidence = models.DecimalField(max_digits=5, decimal_places=4, default=0.95)
    target_margin = models.DecimalField(max_digits=5, decimal_places=4, default=0.05)
    expected_accuracy = models.DecimalField(max_digits=5, decimal_places=4, default=0.90)
    gold_share = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    rework_on_critical = models.BooleanField(default=False)
    long_handle_seconds = models.PositiveIntegerField(null=True, blank=True)
    quality_target = models.DecimalField(max_digits=5, decimal_places=2, default=90)
    accuracy_target = models.DecimalField(max_digits=5, decimal_places=2, default=98)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["engagement_id", "work_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "engagement", "work_type"],
                condition=models.Q(is_active=True),
                name="quality_rule_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_type} rule"


class GoldItem(ClientOwned):
    """An item with known right answers: evaluating it grades the grader."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    work_type = models.CharField(max_length=40)
    source_item_id = models.BigIntegerField()
    answers = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "source_item_id"], name="quality_gold_item_unique"
            )
        ]


class Sample(ClientOwned):
    """An item chosen for evaluation, and why; one per item and reason."""

    class Reason(models.TextChoices):
        RANDOM = "random", "Random sample"
        MINIMUM = "minimum", "Weekly minimum"
        TARGET = "target", "Precision target"
        NEW_AGENT = "new_agent", "New agent"
        LOW_CSAT = "low_csat", "Low satisfaction score"
        LONG_HANDLE = "long_handle", "Long handling time"
        ESCALATED = "escalated", "Escalated"
        REOPENED = "reopened", "Reopened"
        GOLD = "gold", "Gold item"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(SamplingRule, on_delete=models.PROTECT, related_name="samples")
    source_item_id = models.BigIntegerField()
    agent_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    evaluation_item_id = models.BigIntegerField(null=True, blank=True)
    period_start = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "source_item_id", "reason"], name="quality_sample_unique"
            )
        ]
        indexes = [models.Index(fields=["client", "agent_id", "period_start"])]


class Evaluation(ClientOwned):
    """An analyst's scoring of one item against one scorecard version."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        DISPUTED = "disputed", "Disputed"
        FINAL = "final", "Final"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    sample = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_item_id = models.BigIntegerField()
    agent_id = models.BigIntegerField(null=True, blank=True)
    evaluator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    scorecard_version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(default=dict)
    comments = models.JSONField(default=dict)
    overall_comment = models.TextField(blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    critical_failed = models.BooleanField(default=False)
    fields_total = models.PositiveIntegerField(default=0)
    fields_right = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    is_calibration = models.BooleanField(default=False)
    site_id = models.BigIntegerField(null=True, blank=True)
    team_lead_id = models.BigIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sample"], name="quality_evaluation_one_per_sample")
        ]
        indexes = [
            models.Index(fields=["client", "agent_id", "submitted_at"]),
            models.Index(fields=["client", "engagement", "submitted_at"]),
        ]


class CoachingTask(ClientOwned):
    """A team lead's follow-up of an evaluation that failed a critical criterion."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="+")
    agent_id = models.BigIntegerField(null=True, blank=True)
    team_lead = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    rework_item_id = models.BigIntegerField(null=True, blank=True)  # the item sent back
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class Dispute(ClientOwned):
    """An agent's challenge of an evaluation, and the lead's decision (final)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        PARTLY_ACCEPTED = "partly_accepted", "Partly accepted"
        REJECTED = "rejected", "Rejected"

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_comment = models.TextField(blank=True)
    score_before = models.DecimalField(max_digits=5, decimal_places=2)
    score_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    scores_after = models.JSONField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class CalibrationSession(ClientOwned):  # type: ignore[django-manager-missing]
    """Several analysts score the same items blind; agreement is measured on close."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    scorecard_version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    source_item_ids = models.JSONField(default=list)
    analyst_ids = models.JSONField(default=list)
    reference_analyst = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    results = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CalibrationScore(ClientOwned):
    """One analyst's blind scores of one item in a calibration session."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE, related_name="scores")
    analyst = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    source_item_id = models.BigIntegerField()
    scores = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session_id", "source_item_id", "analyst_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "analyst", "source_item_id"],
                name="quality_calibration_score_unique",
            )
        ]


class Lot(ClientOwned):  # type: ignore[django-manager-missing]
    """A back-office batch inspected by ISO 2859-1 single sampling before release."""

    class Status(models.TextChoices):
        INSPECTING = "inspecting", "Being inspected"
        ACCEPTED = "accepted", "Accepted"
        HELD = "held", "Held"
        REWORKED = "reworked", "Reworked"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    work_type = models.CharField(max_length=40)
    reference = models.CharField(max_length=120)
    item_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField()
    aql = models.CharField(max_length=8)
    level = models.CharField(max_length=8, default="II")
    code = models.CharField(max_length=2)
    sample_size = models.PositiveIntegerField()
    accept_number = models.PositiveIntegerField()
    reject_number = models.PositiveIntegerField()
    sampled_item_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INSPECTING)
    defects = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference


class LotInspection(ClientOwned):
    """One sampled item of a lot, inspected: defective or not."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="inspections")
    source_item_id = models.BigIntegerField()
    defective = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    inspector = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    inspected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["lot_id", "source_item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "source_item_id"], name="quality_lot_inspection_unique"
            )
        ]
