from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "tercero.platform.ops"
    label = "ops"
