from django.db import migrations

from tercero.platform.tenancy.rls import (
    protect_late_tables,
    replace_policies,
    unprotect_late_tables,
)


class Migration(migrations.Migration):
    """The client list counts only with a stamp the database verified (SQL run through
    the application's connection cannot widen it), and the audit trail, users, grants
    and tokens get the client policy too."""

    dependencies = [
        ("tenancy", "0001_initial"),
        ("identity", "0003_totp_pending_refused_attempts"),
        ("audit", "0002_auditevent_audit_occurred"),
    ]

    operations = [
        migrations.RunPython(replace_policies, migrations.RunPython.noop),
        migrations.RunPython(protect_late_tables, unprotect_late_tables),
    ]
