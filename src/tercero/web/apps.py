from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tercero.web"
    label = "web"
