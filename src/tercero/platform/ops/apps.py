from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "tercero.platform.ops"
    label = "ops"

    def ready(self) -> None:
        from tercero.platform.ops import scheduler, tasks

        scheduler.register(scheduler.PeriodicJob("heartbeat", 15, tasks.heartbeat))
        scheduler.register(scheduler.PeriodicJob("prune_history", 3600, tasks.prune_history))
