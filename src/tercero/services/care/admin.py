from django.conf import settings
from django.contrib import admin

from tercero.platform.tenancy.admin_scoping import ScopedAdmin
from tercero.services.care.chat import widget_snippet
from tercero.services.care.models import (
    Checklist,
    CtiEndpoint,
    CustomField,
    Macro,
    Mailbox,
    Rejection,
    Survey,
    TierQueue,
    WebChannel,
)


@admin.register(Mailbox)
class MailboxAdmin(ScopedAdmin):
    list_display = ("address", "engagement", "queue", "imap_host", "last_polled_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("address",)
    exclude = ("imap_password",)
    readonly_fields = ("last_polled_at", "last_poll_error")


@admin.register(Rejection)
class RejectionAdmin(ScopedAdmin):
    list_display = ("received_at", "mailbox", "reason", "size")
    search_fields = ("reason", "message_id")
    readonly_fields = ("mailbox", "message_id", "reason", "size", "received_at")


@admin.register(CtiEndpoint)
class CtiEndpointAdmin(ScopedAdmin):
    list_display = ("pk", "engagement", "queue", "description", "is_active")
    exclude = ("secret",)


@admin.register(WebChannel)
class WebChannelAdmin(ScopedAdmin):
    list_display = ("key", "title", "engagement", "queue", "has_chat", "has_form", "is_active")
    list_filter = ("is_active", "has_chat", "has_form")
    search_fields = ("key", "title")
    readonly_fields = ("embed_code",)

    @admin.display(description="Paste into your site to show the chat")
    def embed_code(self, channel):
        return widget_snippet(channel, settings.PUBLIC_BASE_URL.rstrip("/")) if channel.pk else ""


@admin.register(Macro)
class MacroAdmin(ScopedAdmin):
    list_display = ("name", "engagement", "then", "set_priority", "is_active")
    list_filter = ("is_active", "then")
    search_fields = ("name", "reply")


@admin.register(CustomField)
class CustomFieldAdmin(ScopedAdmin):
    list_display = ("label", "key", "kind", "engagement", "is_required", "position")
    list_filter = ("kind", "is_required")
    search_fields = ("label", "key")


@admin.register(Checklist)
class ChecklistAdmin(ScopedAdmin):
    list_display = ("product", "title", "is_active")
    list_filter = ("is_active",)
    search_fields = ("product", "title")


@admin.register(TierQueue)
class TierQueueAdmin(ScopedAdmin):
    list_display = ("engagement", "tier", "queue")


@admin.register(Survey)
class SurveyAdmin(ScopedAdmin):
    list_display = ("item", "sent_at", "answered_at", "score")
    list_filter = ("score",)
    readonly_fields = (
        "item",
        "token_hash",
        "sent_at",
        "expires_at",
        "answered_at",
        "score",
        "comment",
    )
