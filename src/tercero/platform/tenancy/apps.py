from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenancyConfig(AppConfig):
    name = "tercero.platform.tenancy"
    label = "tenancy"


class ScopedAdminConfig(admin_apps.AdminConfig):
    """Django admin on `admin_scoping.ScopedAdminSite`: sign-in through /login/ only,
    one working client at a time."""

    default = False  # the tenancy app keeps TenancyConfig
    default_site = "tercero.platform.tenancy.admin_scoping.ScopedAdminSite"

    def ready(self) -> None:
        super().ready()  # registers every app's admin.py
        from django.contrib import admin
        from django.contrib.auth.models import Group
        from django_tasks_db.models import DBTaskResult

        # Not one client's rows: groups (roles live in code) and background task results
        # (their arguments, results and errors name any client).
        for model in (Group, DBTaskResult):
            admin.site.unregister(model)
