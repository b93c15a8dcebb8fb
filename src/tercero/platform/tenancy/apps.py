from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tercero.platform.tenancy"
    label = "tenancy"
