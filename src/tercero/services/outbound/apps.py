from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "tercero.services.outbound"
    label = "outbound"
    verbose_name = "Telemarketing and telesales"
