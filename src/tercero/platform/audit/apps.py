from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tercero.platform.audit"
    label = "audit"
