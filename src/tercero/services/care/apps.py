from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tercero.services.care"
    label = "care"
    verbose_name = "Customer care and technical support"

    def ready(self):
        from tercero.platform.ops import scheduler
        from tercero.platform.security import sealed
        from tercero.services.care import csat, tasks, worktypes
        from tercero.services.care.models import Message

        sealed.register(Message, "sender")

        worktypes.register()
        csat.register()
        scheduler.register(scheduler.PeriodicJob("poll_mailboxes", 60, tasks.poll_mailboxes))
        scheduler.register(scheduler.PeriodicJob("end_idle_chats", 300, tasks.end_idle_chats))
