from django.contrib import admin

from tercero.delivery.engagements.models import Engagement
from tercero.platform.tenancy.admin_scoping import ScopedAdmin


@admin.register(Engagement)
class EngagementAdmin(ScopedAdmin):
    list_display = ("name", "client", "service_line", "status", "complexity_band")
    list_filter = ("status", "service_line")
    search_fields = ("name",)
    readonly_fields = ("complexity_score", "complexity_band", "complexity_breakdown", "version")
