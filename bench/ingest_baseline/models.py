from django.db import models


class Row(models.Model):
    """A plain table: what a work item would hold, without its rules."""

    client_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "bench_ingest_row"
        managed = False
