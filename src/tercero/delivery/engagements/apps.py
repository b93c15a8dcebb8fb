from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "tercero.delivery.engagements"
    label = "engagements"
