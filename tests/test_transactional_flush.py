"""After a transactional test the database is empty again (conftest.py: on PostgreSQL
the tables are emptied with DELETE, the append-only ones truncated, instead of Django's
TRUNCATE of every table), and content types come back as Django's flush leaves them:
left in place when the test did not change them, written again by Django's post-migrate
step when it did."""

import pytest
from conftest import _empty_by_delete
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tercero.delivery.work import services as work
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.factories import engagement_for

pytestmark = pytest.mark.django_db(transaction=True)

# Django's own tables that its post-migrate signal fills again after a flush
REFILLED = {"django_content_type", "auth_permission"}


def _rows_left() -> dict[str, int]:
    counts = {}
    with all_clients_scope():
        for model in apps.get_models():
            table = model._meta.db_table
            if table not in REFILLED and not model._meta.proxy and model._meta.managed:
                counts[table] = model._base_manager.count()
    return {table: n for table, n in counts.items() if n}


def _a_busy_world(tenant_a):
    """Rows in client tables, provider-wide tables and the append-only ones."""
    engagement = engagement_for(tenant_a.client, name="Keying", status="live")
    with client_scope(clients=[tenant_a.client]):
        queue = work.create_queue(
            actor=None, engagement=engagement, name="Forms", work_types=["capture.document"]
        )
        work.create_item(
            actor=None,
            queue=queue,
            work_type="capture.document",
            external_ref="REF-1",
            payload={"document_ref": "DOC-1", "fields_total": 2},
        )


def test_a_transactional_test_leaves_rows_everywhere(tenant_a, tenant_b, provider_admin):
    # given rows in client tables, provider-wide tables and the append-only trail
    _a_busy_world(tenant_a)
    with all_clients_scope():
        assert AuditEvent.objects.exists()
    assert _rows_left()


def test_the_next_one_finds_every_table_empty_and_the_content_types_back():
    # then nothing the test before wrote is left, and Django's content types are back
    assert _rows_left() == {}
    assert ContentType.objects.filter(app_label="work", model="workitem").exists()


def test_a_transactional_test_that_changes_the_content_types():
    # given a test that adds a content type and removes one (with its permissions)
    ContentType.objects.create(app_label="elsewhere", model="extra")
    ContentType.objects.filter(app_label="work", model="comment").delete()
    assert not ContentType.objects.filter(app_label="work", model="comment").exists()


def test_the_next_one_finds_the_content_types_as_the_migrations_left_them():
    # then the added one is gone and the removed one is back, with its permissions
    from django.contrib.auth.models import Permission

    assert not ContentType.objects.filter(app_label="elsewhere").exists()
    comment = ContentType.objects.get(app_label="work", model="comment")
    assert Permission.objects.filter(content_type=comment).count() == 4
    assert _rows_left() == {}


@pytest.mark.postgres
def test_emptying_by_delete_reaches_every_client_and_the_append_only_tables(tenant_a, tenant_b):
    # given a busy world of two clients, with audit and work events
    _a_busy_world(tenant_a)
    _a_busy_world(tenant_b)
    assert _rows_left()
    # when the tables are emptied as after a transactional test
    emptied = _empty_by_delete(connection)
    # then it did not fall back to a full flush, and nothing is left
    assert emptied
    assert _rows_left() == {}
