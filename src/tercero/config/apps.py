from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Holds the `tercero` management commands that span modules (demo, serve)."""

    name = "tercero.config"
    label = "tercero_config"
