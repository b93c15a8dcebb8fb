from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tercero.services.care"
    label = "care"
    verbose_name = "Customer care and technical support"

    def ready(self):
        from tercero.services.care import worktypes

        worktypes.register()
