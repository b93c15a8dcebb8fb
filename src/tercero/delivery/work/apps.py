from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "tercero.delivery.work"
    label = "work"
    verbose_name = "Work engine"
