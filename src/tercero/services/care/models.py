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
    # what an automation's "acknowledge" action sends to a new ticket's requester when
    # the ticket came in here (blank: this mailbox sends none)
    acknowledgement = models.TextField(blank=True)
    # how the desk's replies from here look: the From name and address (blank: the
    # mailbox's own address) and the signature added below each agent's reply
    sender_name = models.CharField(max_length=100, blank=True)
    sender_address = models.EmailField(blank=True)
    signature_text = models.TextField(blank=True)
    signature_html = models.TextField(blank=True)  # sanitised when saved (mail_html)

    def __str__(self) -> str:
        return self.address

    @property
    def from_address(self) -> str:
        return self.sender_address or self.address

    @property
    def sending_domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1].lower()


class SigningKey(ClientOwned):
    """A DKIM key of one of the client's mail domains (RFC 6376). The private key is
    sealed under the master key, bound to its client, domain and selector; the public
    key is what the client publishes in DNS. New keys wait for that record to be
    published; one key per domain signs at a time; a retired key signs nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the DNS record"
        ACTIVE = "active", "Signing"
        RETIRED = "retired", "Retired"

    domain = models.CharField(max_length=253)
    selector = models.CharField(max_length=63)
    private_key = models.TextField()
    public_key = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "domain", "selector"], name="signing_key_unique_selector"
            ),
            models.UniqueConstraint(
                fields=["client", "domain"],
                condition=models.Q(status="active"),
                name="signing_key_one_active_per_domain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"


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
    # keyed hash of the sender's exact address (inbound e-mail): who may write into a
    # ticket, and how many mails one sender sent in the last minute
    sender_key = models.CharField(max_length=64, blank=True)
    # the mailbox an e-mail arrived at or was sent from (replies go out from where the
    # customer wrote)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    auto_generated = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "message_id"], name="message_unique_id")
        ]
        indexes = [
            models.Index(
                fields=["client", "sender_key", "created_at"],
                name="message_sender_recent",
                condition=~models.Q(sender_key=""),
            )
        ]


class TicketToken(ClientOwned):
    """The token a ticket's e-mails carry in their subject, `[#T-<id>-<random>]`: the
    random part makes it unguessable. Tickets that were mailed before tokens had one
    also take the old bare `[#T-<id>]` (`accepts_bare`)."""

    item = models.OneToOneField("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=16)
    accepts_bare = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


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


class TicketLink(ClientOwned):
    """Two tickets that belong together: related, one split from the other, or one
    merged into the other (the merged one is closed and points at where it went)."""

    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        SPLIT = "split", "Split from"
        MERGED = "merged", "Merged into"

    source = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticketlink_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticketlink_not_self"
            ),
        ]


class CustomField(ClientOwned):
    """A field an engagement adds to its tickets (order number, plan, region...)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"
        CHECKBOX = "checkbox", "Yes / no"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    is_required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    # switched off: no longer shown or required on tickets; the values tickets hold stay
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "key"], name="customfield_unique")
        ]

    def __str__(self) -> str:
        return self.label


class CustomValue(ClientOwned):
    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "field"], name="customvalue_unique")]


class Macro(ClientOwned):
    """A canned reply with field changes, for one engagement's agents."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    reply = models.TextField(blank=True)
    add_tags = models.JSONField(default=list, blank=True)
    set_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    # a life-cycle action to take after the reply: "" (none), "wait" or "resolve"
    then = models.CharField(max_length=8, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "name"], name="macro_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def then_in_words(self) -> str:
        return {"wait": "Wait on the customer", "resolve": "Resolve the ticket"}.get(
            self.then, "Nothing more"
        )


class TierQueue(ClientOwned):
    """Where an engagement's support tickets go at each tier (L1, L2, L3)."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    tier = models.CharField(max_length=2, choices=[(t, t) for t in ("L1", "L2", "L3")])
    queue = models.ForeignKey("work.Queue", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "tier"], name="tierqueue_unique")
        ]


class Checklist(ClientOwned):
    """Troubleshooting steps for one product, worked through on support tickets."""

    product = models.CharField(max_length=100)
    title = models.CharField(max_length=150)
    steps = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product", "title"]

    def __str__(self) -> str:
        return f"{self.product}: {self.title}"


class ChecklistProgress(ClientOwned):
    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="+")
    done = models.JSONField(default=list)  # indexes of the steps ticked
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "checklist"], name="checklistprogress_unique")
        ]


class ChatSession(ClientOwned):
    """A customer's chat from the embeddable widget; its transcript is the ticket's
    conversation. The customer holds a random token (only its hash is stored)."""

    item = models.OneToOneField("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    customer_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # who opened it, as a keyed hash of their network address (chat.visitor_of): new
    # chats are counted per visitor, so one visitor cannot use up a channel's rate
    visitor = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["visitor", "started_at"], name="chat_visitor_recent")]


class Survey(ClientOwned):
    """A satisfaction survey sent after resolution: one signed link, used once, expiring.
    Score 1-5; 4 and 5 count as satisfied."""

    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            )
        ]


class Viewer(ClientOwned):
    """Who has a ticket open right now: the page renews the row while it is open, so a
    second agent is warned before both answer the same customer."""

    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    is_replying = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="viewer_unique")]


class WebChannel(ClientOwned):
    """An engagement's web form and chat widget. `key` names it in public URLs; the
    widget answers only pages on `allowed_origins` (and Tercero's own hosted page)."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey("work.Queue", on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=100, default="Contact us")
    greeting = models.CharField(max_length=300, default="Hello! How can we help?")
    allowed_origins = models.JSONField(default=list, blank=True)
    has_chat = models.BooleanField(default=True)
    has_form = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # the client's brand on the hosted chat page and the widget (blank name: the title)
    brand_name = models.CharField(max_length=100, blank=True)
    brand_colour = models.CharField(max_length=7, default="#1f5fa8")
    # the most new chats a minute the channel's engagement takes (beyond: 409 busy)
    new_chats_per_minute = models.PositiveIntegerField(default=300)

    def __str__(self) -> str:
        return self.key


class Article(ClientOwned):
    """A knowledge base article of one client: internal (agents only) or public (also on
    the client's help centre), draft until published. Searched in full text: SQLite FTS5
    table `care_article_fts` / PostgreSQL column `search` (see migration 0005)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal (agents only)"
        PUBLIC = "public", "Public (help centre)"

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        GUIDE = "guide", "Installation / update guide"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    # words customers use for this topic; searched, never shown on the help centre
    keywords = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ARTICLE)
    product = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["client", "slug"], name="article_unique_slug")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC


class Automation(ClientOwned):
    """One rule of an engagement's automations: when `trigger` happens to a ticket (or,
    for a time rule, once it has waited `waited_business_days` on the customer) and every
    condition holds, its actions run. Rules run in `position` order; the vocabulary of
    conditions and actions is `automation_rules`."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    trigger = models.CharField(max_length=20)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    waited_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "name"], name="automation_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class AutomationRun(ClientOwned):
    """A rule that fired on a ticket, and what it did: one row per (ticket, rule,
    occasion), written in the transaction of the rule's actions, so a rule acts once on
    each occasion however many workers look at once. The occasion is the event that
    triggered it, or the waiting spell a time rule counted."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(max_length=80)
    did = models.JSONField(default=list)  # what each action did, in words
    is_failed = models.BooleanField(default=False)
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ran_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "automation", "occasion"], name="automationrun_once"
            )
        ]


class PortalLink(ClientOwned):
    """A customer's request for a sign-in link to their requests at one client ("my
    requests"). Every request is a row, sent or not, so the limits count known and
    unknown addresses alike. A sent link names a random token (only its hash is kept);
    it signs in once, before `expires_at`, and the browser session it opens lasts until
    `session_until`."""

    channel = models.ForeignKey(WebChannel, on_delete=models.CASCADE, related_name="+")
    email_key = models.CharField(max_length=64)  # keyed hash of the exact address
    email = models.CharField(max_length=400, blank=True)  # sealed; blank when not sent
    visitor = models.CharField(max_length=64)  # keyed hash of the network address
    token_hash = models.CharField(max_length=64, blank=True)  # blank: no link was sent
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    session_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~models.Q(token_hash=""),
                name="portallink_unique_token",
            )
        ]
        indexes = [
            models.Index(fields=["client", "email_key", "requested_at"], name="portal_by_email"),
            models.Index(fields=["client", "visitor", "requested_at"], name="portal_by_visitor"),
        ]
