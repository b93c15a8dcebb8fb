from django.db import migrations

from tercero.platform.tenancy.rls import replace_policies


class Migration(migrations.Migration):
    """Read the client list once per statement, not once per row."""

    dependencies = [("work", "0004_claim_order_index")]

    operations = [migrations.RunPython(replace_policies, migrations.RunPython.noop)]
