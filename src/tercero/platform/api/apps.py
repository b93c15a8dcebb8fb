from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tercero.platform.api"
    label = "api"
