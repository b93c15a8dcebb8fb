from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "tercero.platform.identity"
    label = "identity"
