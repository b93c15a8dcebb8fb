from django.apps import AppConfig

READ = "crm:read"
WRITE = "crm:write"


class CrmConfig(AppConfig):
    name = "tercero.services.crm"
    label = "crm"
    verbose_name = "Customer relationships: accounts, contacts, opportunities"

    def ready(self) -> None:
        from tercero.delivery.work import privacy
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import NavEntry, Offering, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.security import sealed
        from tercero.services.crm import api, events, intake, isolation, services, worktypes
        from tercero.services.crm.models import Contact

        for field in ("name", "phone", "email"):
            sealed.register(Contact, field)
        privacy.register_subject_records(
            privacy.SubjectRecords(name="crm.contacts", erase=services.erase_contacts)
        )
        register_line(
            ServiceLine(
                key="crm",
                title="Sales and CRM outsourcing",
                offers=(
                    Offering("crm", "CRM outsourcing"),
                    Offering("sales_support", "Sales and marketing support"),
                ),
                work_types=(worktypes.FOLLOW_UP,),
                events=events.EVENTS,
                permissions=(
                    Permission(
                        READ,
                        frozenset(
                            {
                                Role.DELIVERY_MANAGER,
                                Role.TEAM_LEAD,
                                Role.AGENT,
                                Role.CLIENT_ADMIN,
                                Role.CLIENT_USER,
                            }
                        ),
                        "See the client's accounts, pipeline and conversions, and export them",
                    ),
                    Permission(
                        WRITE,
                        frozenset({Role.DELIVERY_MANAGER, Role.TEAM_LEAD, Role.AGENT}),
                        "Keep accounts, contacts and opportunities and set follow-ups",
                    ),
                ),
                navigation=(
                    NavEntry("Conversions", "crm:conversions", READ),
                    NavEntry("Pipeline", "crm:opportunities", READ),
                ),
                api=api.router,
                urls="tercero.services.crm.urls",
                url_prefix="crm/",
                consumers=(intake.CONSUMER,),
                demo=_demo,
                isolation=isolation.ISOLATION,
            )
        )


def _demo(context) -> None:
    """This line's share of the demo provider (`tercero demo`)."""
    from tercero.services.crm import demo

    demo.load(clients=context.clients)
