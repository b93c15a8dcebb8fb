from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "tercero.services.payroll"
    label = "payroll"
    verbose_name = "Payroll and HR records"

    def ready(self):
        from tercero.platform.security import sealed
        from tercero.services.payroll import worktypes
        from tercero.services.payroll.models import Employee

        worktypes.register()
        for field in Employee.SEALED:
            sealed.register(Employee, field)
