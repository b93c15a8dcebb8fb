from django.contrib import admin

from tercero.platform.tenancy.admin_scoping import ScopedAdmin
from tercero.services.care.models import CtiEndpoint, Mailbox, Rejection


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
