import django.db.models.deletion
from django.db import migrations, models

from tercero.platform.audit.immutability import kept_append_only


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0001_initial"),
        ("work", "0009_workitem_subject_keys"),
    ]

    operations = kept_append_only(
        "work_workevent",
        migrations.AlterField(
            model_name="workevent",
            name="engagement",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="engagements.engagement",
            ),
        ),
    )
