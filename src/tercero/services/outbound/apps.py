from django.apps import AppConfig

MANAGE = "outbound:manage"
DIAL = "outbound:dial"


class OutboundConfig(AppConfig):
    name = "tercero.services.outbound"
    label = "outbound"
    verbose_name = "Telemarketing and telesales"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import NavEntry, Offering, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.ops.scheduler import PeriodicJob
        from tercero.platform.security import sealed
        from tercero.services.outbound import api, events, isolation, tasks, worktypes
        from tercero.services.outbound.models import Lead

        sealed.register(Lead, "phone")
        sealed.register(Lead, "name")
        register_line(
            ServiceLine(
                key="outbound",
                title="Telemarketing and telesales",
                offers=(
                    Offering("telemarketing", "Telemarketing"),
                    Offering("telesales", "Telesales"),
                ),
                work_types=(worktypes.CALL,),
                events=events.EVENTS,
                permissions=(
                    Permission(
                        MANAGE,
                        frozenset({Role.PROVIDER_ADMIN, Role.DELIVERY_MANAGER}),
                        "Set up outbound campaigns, load lead lists, keep do-not-call lists "
                        "and consent records",
                    ),
                    Permission(
                        DIAL,
                        frozenset({Role.AGENT, Role.TEAM_LEAD, Role.DELIVERY_MANAGER}),
                        "See outbound campaigns and their leads, call leads, and see why a "
                        "lead may not be called",
                    ),
                ),
                navigation=(
                    NavEntry("Campaigns", "outbound:campaigns", DIAL),
                    NavEntry("Campaign board", "outbound:board", DIAL),
                    NavEntry("Do not call", "outbound:dnc", MANAGE),
                ),
                jobs=(PeriodicJob("outbound_rescrub", 6 * 3600, tasks.rescrub_open_leads),),
                api=api.router,
                urls="tercero.services.outbound.urls",
                url_prefix="outbound/",
                demo=_demo,
                isolation=isolation.ISOLATION,
            )
        )


def _demo(context) -> None:
    """This line's share of the demo provider (`tercero demo`)."""
    from tercero.services.outbound import demo

    demo.load(admin=context.admin, clients=context.clients)
