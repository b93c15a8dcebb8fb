"""Every care item holds personal data (the requester's name, address and phone, and the
conversation), so the engagement's data-residency rule applies to it. Items created
before the care work types said so were stored as holding none: they are marked here.
Going back leaves them marked (holding personal data is the safe side)."""

from django.db import migrations

CARE_TYPES = ("care.ticket", "support.ticket", "care.call")


def mark_care_items(apps, schema_editor):
    from tercero.platform.tenancy.scoping import all_clients_scope

    work_item = apps.get_model("work", "WorkItem")
    with all_clients_scope():
        work_item.objects.filter(work_type__in=CARE_TYPES, personal_data=False).update(
            personal_data=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0006_mail_threads"),
        ("work", "0012_import_job_progressed_at"),
    ]

    operations = [
        migrations.RunPython(mark_care_items, migrations.RunPython.noop),
    ]
