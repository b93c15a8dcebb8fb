from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "tercero.platform.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from tercero.platform.ops import scheduler
        from tercero.platform.security import detector, tasks

        scheduler.register(
            scheduler.PeriodicJob(
                "detect_misuse", detector.DETECT_EVERY_SECONDS, tasks.detect_misuse
            )
        )
