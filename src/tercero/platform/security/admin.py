from django.contrib import admin

from tercero.platform.security.models import MisuseRule, PrivacyPolicy
from tercero.platform.tenancy.admin_scoping import ScopedAdmin


@admin.register(MisuseRule)
class MisuseRuleAdmin(ScopedAdmin):
    """Hourly limits per client (no engagement) or per engagement, and the step-up."""

    list_display = (
        "client",
        "engagement_id",
        "records_per_hour",
        "reveals_per_hour",
        "exports_per_hour",
        "off_shift_per_hour",
        "unassigned_per_hour",
        "step_up",
    )
    list_filter = ("step_up",)


@admin.register(PrivacyPolicy)
class PrivacyPolicyAdmin(ScopedAdmin):
    list_display = ("client", "retention_days", "updated_at")
