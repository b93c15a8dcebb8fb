from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "tercero.platform.security"
    label = "security"
