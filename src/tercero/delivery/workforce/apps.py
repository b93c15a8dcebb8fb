from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "tercero.delivery.workforce"
    label = "workforce"
