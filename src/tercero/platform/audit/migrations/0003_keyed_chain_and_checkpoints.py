import django.db.models.deletion
from django.db import migrations, models

from tercero.platform.audit.immutability import MakeAppendOnly, kept_append_only
from tercero.platform.tenancy.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_auditevent_audit_occurred"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        # events written before this migration keep an empty key id: unkeyed, legacy
        *kept_append_only(
            "audit_auditevent",
            migrations.AddField(
                model_name="auditevent",
                name="key_id",
                field=models.CharField(blank=True, max_length=16),
            ),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("count", models.BigIntegerField()),
                ("signed_at", models.DateTimeField()),
                ("document", models.TextField()),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tenancy.client",
                    ),
                ),
            ],
            options={
                "ordering": ["-sequence"],
                "indexes": [
                    models.Index(fields=["client", "-sequence"], name="audit_checkpoint_client")
                ],
            },
        ),
        MakeAppendOnly(model_name="auditcheckpoint"),
        EnableRowLevelSecurity(model_name="auditcheckpoint"),
    ]
