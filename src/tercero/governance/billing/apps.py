from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "tercero.governance.billing"
    label = "billing"
    verbose_name = "Commercials and billing"

    def ready(self):
        from tercero.delivery.work.outbox import Consumer
        from tercero.delivery.work.registry import register_line
        from tercero.governance.billing import (
            api,
            commercial_tasks,
            demo,
            invoice_events,
            isolation,
            metering,
            tasks,
        )
        from tercero.platform.catalogue import NavEntry, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.ops.scheduler import PeriodicJob

        register_line(
            ServiceLine(
                key="billing",
                title="Commercials and billing",
                permissions=(
                    Permission(
                        "billing:manage",
                        frozenset({Role.DELIVERY_MANAGER}),
                        "Edit rate cards, close months and issue invoices",
                    ),
                    Permission(
                        "billing:read",
                        frozenset({Role.DELIVERY_MANAGER, Role.AUDITOR, Role.CLIENT_ADMIN}),
                        "See rate cards, usage and invoices",
                    ),
                ),
                navigation=(
                    NavEntry("Rate cards", "billing:rates", "billing:manage"),
                    NavEntry("Usage", "billing:usage", "billing:read", audience="all"),
                    NavEntry("Invoices", "billing:invoices", "billing:read", audience="all"),
                    NavEntry("SLA credits", "billing:credits", "billing:read", audience="all"),
                    NavEntry("Obligations", "billing:obligations", "billing:read", audience="all"),
                    NavEntry("Savings", "billing:savings", "billing:read", audience="all"),
                    NavEntry("Margin", "billing:margin", "billing:read"),
                    NavEntry(
                        "Service review", "billing:review_start", "billing:read", audience="all"
                    ),
                ),
                api=api.router,
                events=invoice_events.EVENTS,
                urls="tercero.governance.billing.urls",
                url_prefix="billing/",
                consumers=(
                    Consumer(
                        name="billing.metering",
                        handle=metering.meter_one,
                        handle_batch=lambda events: metering.meter(events=events),
                        kinds=metering.kinds(),
                    ),
                ),
                jobs=(
                    PeriodicJob("billing_productive_hours", 3600, tasks.meter_recent_days),
                    PeriodicJob(
                        "billing_obligations_late", 900, commercial_tasks.record_late_obligations
                    ),
                ),
                demo=demo.load,
                isolation=isolation.ISOLATION,
            )
        )
