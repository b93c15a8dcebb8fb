"""Mailboxes that feed tickets, the conversation of each ticket, and what was refused."""

from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class Mailbox(ClientOwned):
    """An engagement's e-mail address: inbound mail becomes tickets in `queue`."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey("work.Queue", on_delete=models.PROTECT, related_name="+")
    address = models.EmailField(unique=True)
    work_type = models.CharField(max_length=40, default="care.ticket")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # IMAP polling (optional: mail may instead be delivered to the inbound endpoint)
    imap_host = models.CharField(max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_ssl = models.BooleanField(default=True)
    imap_user = models.CharField(max_length=200, blank=True)
    imap_password = models.CharField(max_length=300, blank=True)  # sealed (master key)
    imap_folder = models.CharField(max_length=100, default="INBOX")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.address


class Message(ClientOwned):
    """One message of a ticket's conversation. The sender's address is sealed (it is
    the customer's); `message_id` threads replies and makes a re-delivered e-mail a
    no-op."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "From the customer"
        OUTBOUND = "outbound", "To the customer"
        NOTE = "note", "Internal note"

    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=16, default="email")
    message_id = models.CharField(max_length=300)
    in_reply_to = models.CharField(max_length=300, blank=True)
    sender = models.CharField(max_length=400, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    auto_generated = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "message_id"], name="message_unique_id")
        ]


class Rejection(ClientOwned):
    """An inbound e-mail that did not become a ticket or a message, and why."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=300)
    size = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]


class CtiEndpoint(ClientOwned):
    """Where one engagement's phone system (PBX / CCaaS) posts call events. Requests are
    signed with the endpoint's secret (stored sealed under the master key)."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey("work.Queue", on_delete=models.PROTECT, related_name="+")
    secret = models.CharField(max_length=200)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)


class CallEvent(ClientOwned):
    """One event a phone system sent; its id is unique per endpoint, so a replayed or
    re-sent event is refused."""

    endpoint = models.ForeignKey(CtiEndpoint, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    call_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="callevent_unique")
        ]
