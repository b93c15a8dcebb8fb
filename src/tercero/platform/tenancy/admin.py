from django.contrib import admin

from tercero.platform.tenancy.admin_scoping import ScopedAdmin
from tercero.platform.tenancy.models import Client


@admin.register(Client)
class ClientAdmin(ScopedAdmin):
    client_field = "pk"
    list_display = ("legal_name", "country", "time_zone", "status")
    list_filter = ("status", "country")
    search_fields = ("legal_name",)
