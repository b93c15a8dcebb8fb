from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "tercero.services.payroll"
    label = "payroll"
    verbose_name = "Payroll and HR records"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import NavEntry, Offering, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.security import sealed
        from tercero.services.payroll import (
            api,
            events,
            isolation,
            rti_api,
            statutory_api,
            us_api,
            worktypes,
        )
        from tercero.services.payroll.models import Employee

        api.router.add_router("", us_api.router)  # United States W-4s and tax forms
        api.router.add_router("", rti_api.router)  # HMRC filing, P45 and P60
        api.router.add_router("", statutory_api.router)  # statutory absences (UK)
        for field in Employee.SEALED:
            sealed.register(Employee, field)
        staff = {Role.DELIVERY_MANAGER, Role.TEAM_LEAD}
        register_line(
            ServiceLine(
                key="payroll",
                title="Payroll and HR records",
                offers=(
                    Offering("payroll", "Payroll"),
                    Offering("hr_records", "HR record-keeping"),
                ),
                work_types=(worktypes.RUN, worktypes.HR_EVENT),
                events=events.EVENTS,
                navigation=(
                    NavEntry("Payroll", "payroll:runs", "payroll:read", audience="all"),
                    NavEntry("HR changes", "payroll:hr_changes", "hr:write"),
                ),
                permissions=(
                    Permission(
                        "payroll:read",
                        frozenset(staff | {Role.AUDITOR, Role.CLIENT_ADMIN}),
                        "See pay runs, employees and payslips",
                    ),
                    Permission("payroll:write", frozenset(staff), "Prepare pay runs"),
                    Permission(
                        "payroll:approve", frozenset({Role.CLIENT_ADMIN}), "Approve pay runs"
                    ),
                    Permission("hr:write", frozenset(staff | {Role.AGENT}), "Apply HR changes"),
                    Permission(
                        "payroll:file",
                        frozenset({Role.TEAM_LEAD}),
                        "Send RTI returns (FPS and EPS) to HMRC",
                    ),
                ),
                api=api.router,
                urls="tercero.services.payroll.urls",
                url_prefix="payroll/",
                demo=_demo,
                isolation=isolation.ISOLATION,
            )
        )


def _demo(context) -> None:
    """This line's share of the demo provider (`tercero demo`)."""
    from tercero.services.payroll import demo, us_demo

    demo.load(
        admin=context.admin,
        lead=context.person("lead@tercero.example"),
        client_admin=context.person("admin@albion.example"),
        hr_agent=context.person("bruno@tercero.example"),
    )
    us_demo.load(
        admin=context.admin,
        lead=context.person("lead@tercero.example"),
        client_admin=context.person("admin@northwind.example"),
        client=context.clients["northwind"],
    )
