from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tercero.delivery.scheduling"
    label = "scheduling"
    verbose_name = "Schedules and adherence"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import ServiceLine

        register_line(ServiceLine(key="scheduling", title="Schedules and adherence"))
