from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "tercero.delivery.planning"
    label = "planning"
    verbose_name = "Workforce planning"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import ServiceLine

        register_line(ServiceLine(key="planning", title="Workforce planning"))
