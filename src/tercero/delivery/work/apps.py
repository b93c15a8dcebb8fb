from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "tercero.delivery.work"
    label = "work"
    verbose_name = "Work engine"

    def ready(self) -> None:
        from tercero.delivery.work import consumers, services, tasks, webhooks
        from tercero.delivery.work.models import WorkItem
        from tercero.platform.audit import services as audit
        from tercero.platform.ops import scheduler
        from tercero.platform.security import sealed
        from tercero.platform.security import services as security

        sealed.register(WorkItem, "payload", json=True)
        security.on_alert(services.security_alert_event)
        audit.on_client_checkpoint(services.audit_checkpoint_event)
        consumers.register()
        webhooks.register()
        scheduler.register(scheduler.PeriodicJob("sweep_sla", 30, tasks.sweep_sla))
        scheduler.register(scheduler.PeriodicJob("consume_events", 5, tasks.consume_events))
        scheduler.register(scheduler.PeriodicJob("send_webhooks", 10, tasks.send_webhooks))
        scheduler.register(scheduler.PeriodicJob("purge_expired", 3600, tasks.purge_expired))
        scheduler.register(scheduler.PeriodicJob("resume_imports", 60, tasks.resume_import_jobs))
