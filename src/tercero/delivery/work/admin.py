from django.contrib import admin

from tercero.delivery.work.models import Queue, WebhookEndpoint
from tercero.platform.tenancy.admin_scoping import ScopedAdmin


@admin.register(Queue)
class QueueAdmin(ScopedAdmin):
    list_display = ("name", "engagement", "routing", "priority", "is_active")
    list_filter = ("routing", "is_active")
    search_fields = ("name",)
    readonly_fields = ("version",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdmin):
    list_display = ("url", "client", "is_active")
    exclude = ("secret",)
