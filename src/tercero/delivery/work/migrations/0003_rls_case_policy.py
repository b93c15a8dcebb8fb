from django.db import migrations

from tercero.platform.tenancy.rls import replace_policies


class Migration(migrations.Migration):
    """Policies written before the CASE form could fail on '*' (system scope)."""

    dependencies = [
        ("engagements", "0001_initial"),
        ("workforce", "0002_agents"),
        ("work", "0002_initial"),
    ]

    operations = [migrations.RunPython(replace_policies, migrations.RunPython.noop)]
