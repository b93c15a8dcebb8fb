from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tercero.platform.audit"
    label = "audit"

    def ready(self) -> None:
        from tercero.platform.audit import tasks
        from tercero.platform.ops import scheduler

        scheduler.register(
            scheduler.PeriodicJob(
                "audit_checkpoint", tasks.CHECKPOINT_EVERY_SECONDS, tasks.write_checkpoints
            )
        )
