"""Data built once for a module's tests (conftest.py: `module_db`, `in_module_db`): each
test finds it as it was built, whatever the test before it changed; row-level security
binds in every test as in any other; the module's other tests never see it."""

import pytest
from django.db import connection

from tercero.delivery.engagements.models import Engagement
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tests.factories import engagement_for


@pytest.fixture(scope="module")
def built_once(module_db, module_tenants):
    tenant_a, tenant_b, _ = module_tenants
    with module_db.unblock():
        ours = engagement_for(tenant_a.client, name="Built once")
        theirs = engagement_for(tenant_b.client, name="Built once too")
        with all_clients_scope():  # the held transaction's last query saw every client
            assert Engagement.objects.filter(pk__in=[ours.pk, theirs.pk]).count() == 2
    return {"client": tenant_a.client, "ours": ours.pk, "theirs": theirs.pk}


@pytest.fixture
def built(in_module_db, built_once):
    return built_once


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_finds_the_data_as_built_whatever_the_one_before_changed(built, turn):
    with client_scope(clients=[built["client"]]):
        # given the engagement as it was built
        assert Engagement.objects.get(pk=built["ours"]).name == "Built once"
        # when this test renames it
        Engagement.objects.filter(pk=built["ours"]).update(name=f"Renamed {turn}")
        # then it sees its change, and the next test sees the name as built (above)
        assert Engagement.objects.get(pk=built["ours"]).name == f"Renamed {turn}"


@pytest.mark.postgres
@pytest.mark.parametrize("turn", [1, 2])
def test_row_level_security_binds_in_every_test(built, turn):
    # given a test in the module's transaction, whose last query saw every client
    with connection.cursor() as cursor:
        # when SQL reads engagements past the ORM's scoping, outside any scope
        cursor.execute("SELECT id FROM engagements_engagement")
        # then the database shows none, in the second test as in the first
        assert cursor.fetchall() == []
        # and in client A's scope, A's alone
        with client_scope(clients=[built["client"]]):
            cursor.execute("SELECT id FROM engagements_engagement")
            assert cursor.fetchall() == [(built["ours"],)]


def test_the_modules_other_tests_run_first_and_never_see_its_data(tenant_a):
    # given a database test of this module that does not ask for the module's data
    # then it runs before the module's transaction opens, so nothing built there shows
    with all_clients_scope():
        assert not Engagement.objects.filter(name__startswith="Built once").exists()
