"""Schedules: shift templates and labour rules as data, rosters optimised to cover the
staffing plan across clients that share agents, published to agents in their site's local
time, and adherence to them."""

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from tercero.platform.catalogue import DemoContext


class SchedulingConfig(AppConfig):
    name = "tercero.delivery.scheduling"
    label = "scheduling"
    verbose_name = "Schedules and adherence"

    def ready(self) -> None:
        from tercero.delivery.scheduling import api, isolation, selectors
        from tercero.delivery.work.registry import register_line
        from tercero.delivery.workforce.shifts import register_shift_check
        from tercero.platform.catalogue import NavEntry, Permission, ServiceLine
        from tercero.platform.identity.roles import Role

        register_shift_check(selectors.scheduled_now)
        staff = frozenset({Role.DELIVERY_MANAGER, Role.TEAM_LEAD})
        register_line(
            ServiceLine(
                key="scheduling",
                title="Schedules and adherence",
                permissions=(
                    Permission(
                        "schedule:read",
                        staff | {Role.AUDITOR, Role.AGENT},
                        "See schedules and adherence (agents: their own shifts)",
                    ),
                    Permission("schedule:write", staff, "Build, publish and edit schedules"),
                ),
                navigation=(
                    NavEntry(
                        "Schedules",
                        "scheduling:schedules",
                        "schedule:read",
                        hidden_from_roles=frozenset({Role.AGENT}),
                    ),
                    NavEntry(
                        "Adherence",
                        "scheduling:board",
                        "schedule:read",
                        hidden_from_roles=frozenset({Role.AGENT}),
                    ),
                    NavEntry("My shifts", "scheduling:mine", "schedule:read"),
                ),
                api=api.router,
                urls="tercero.delivery.scheduling.urls",
                url_prefix="schedules/",
                demo=_demo,
                isolation=isolation.ISOLATION,
            )
        )


def _demo(context: "DemoContext") -> None:
    """Templates, rules and a published schedule for the demo sites (`tercero demo`)."""
    from tercero.delivery.scheduling import demo

    demo.load(admin=context.admin)
