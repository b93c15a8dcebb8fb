from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "tercero.delivery.contact"
    label = "contact"
