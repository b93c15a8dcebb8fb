from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tercero.services.care"
    label = "care"
    verbose_name = "Customer care and technical support"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import NavEntry, Offering, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.ops.scheduler import PeriodicJob
        from tercero.platform.security import sealed
        from tercero.services.care import (
            api,
            automations,
            csat,
            events,
            isolation,
            tasks,
            worktypes,
        )
        from tercero.services.care.models import Message
        from tercero.services.care.services.automations import CARE_SETUP
        from tercero.services.care.services.knowledge import KNOWLEDGE_EDITOR
        from tercero.services.care.services.setup_base import CARE_COPY

        sealed.register(Message, "sender")
        register_line(
            ServiceLine(
                key="care",
                title="Customer care and technical support",
                offers=(
                    Offering("customer_care", "Customer care"),
                    Offering("technical_support", "Technical support"),
                ),
                work_types=(worktypes.TICKET, worktypes.SUPPORT, worktypes.CALL),
                events=events.EVENTS,
                permissions=(
                    Permission(
                        KNOWLEDGE_EDITOR,
                        frozenset({Role.TEAM_LEAD, Role.DELIVERY_MANAGER}),
                        "Publish knowledge articles, change published ones, make one public",
                    ),
                    Permission(
                        CARE_SETUP,
                        frozenset({Role.PROVIDER_ADMIN, Role.DELIVERY_MANAGER}),
                        "Set up a client's care desk: automations, mailboxes, macros, web "
                        "channels, custom fields, checklists, tiers, SLA policies",
                    ),
                    Permission(
                        CARE_COPY,
                        frozenset({Role.PROVIDER_ADMIN}),
                        "Copy one client's care desk set-up to another client's engagement",
                    ),
                ),
                navigation=(
                    NavEntry(
                        "Care report",
                        "care:reports",
                        "work:read",
                        audience="all",
                        hidden_from_roles=frozenset({"agent"}),
                    ),
                    NavEntry("Knowledge", "care:articles", "work:read"),
                    NavEntry("Automations", "care:automations", CARE_SETUP),
                ),
                consumers=(csat.CONSUMER, automations.CONSUMER),
                jobs=(
                    PeriodicJob("poll_mailboxes", 60, tasks.poll_mailboxes),
                    PeriodicJob("end_idle_chats", 300, tasks.end_idle_chats),
                    PeriodicJob("care_waiting_rules", 300, tasks.run_waiting_rules),
                ),
                api=api.router,
                urls="tercero.services.care.urls",
                url_prefix="care/",
                demo=_demo,
                isolation=isolation.ISOLATION,
            )
        )


def _demo(context) -> None:
    """This line's share of the demo provider (`tercero demo`)."""
    from tercero.services.care import demo

    demo.load(admin=context.admin, agent_user=context.person("agent@tercero.example"))
