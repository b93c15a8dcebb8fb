"""Workforce planning: forecasts from the engine's arrival history, staffing by Erlang and
backlog maths, schedules optimised against labour rules, adherence, intraday and the
delivery options a client can choose between."""

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "tercero.delivery.planning"
    label = "planning"
    verbose_name = "Workforce planning"

    def ready(self) -> None:
        from tercero.delivery.planning import api, demo, isolation
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import NavEntry, Permission, ServiceLine
        from tercero.platform.identity.roles import Role

        writers = frozenset({Role.DELIVERY_MANAGER, Role.TEAM_LEAD})
        register_line(
            ServiceLine(
                key="planning",
                title="Workforce planning",
                permissions=(
                    Permission(
                        "planning:read",
                        frozenset(writers | {Role.AUDITOR}),
                        "See forecasts, staffing plans and delivery options",
                    ),
                    Permission(
                        "planning:write", writers, "Import history, forecast and plan staffing"
                    ),
                ),
                navigation=(NavEntry("Planning", "planning:home", "planning:read"),),
                api=api.router,
                urls="tercero.delivery.planning.urls",
                url_prefix="planning/",
                demo=demo.load,
                isolation=isolation.ISOLATION,
            )
        )
