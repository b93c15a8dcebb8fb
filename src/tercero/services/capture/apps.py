from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "tercero.services.capture"
    label = "capture"
    verbose_name = "Data capture"

    def ready(self):
        from tercero.services.capture import worktypes

        worktypes.register()
