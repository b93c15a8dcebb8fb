"""Django admin classes that show only the rows of the clients the admin may reach.

Requests already run inside the caller's client scope (the scoped managers refuse
anything else); each queryset says it again so that an admin page can never list or
open another client's row, whatever the model's manager.
"""

from django.contrib import admin

from tercero.platform.tenancy.scoping import clients_in_scope


class ScopedAdmin(admin.ModelAdmin):
    client_field = "client_id"

    def get_queryset(self, request):
        reachable = clients_in_scope() or []
        return super().get_queryset(request).filter(**{f"{self.client_field}__in": reachable})
