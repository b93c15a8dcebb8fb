"""`tercero work` as an operator runs it."""

import io

import pytest
from django.core.management import CommandError, call_command

from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.tests.conftest import live_engagement, make_agent, make_queue
from tercero.platform.tenancy.scoping import client_scope


def run(*args) -> str:
    out = io.StringIO()
    call_command("work", *args, stdout=out)
    return out.getvalue()


def test_import_then_list_then_claim(tenant_a, tmp_path):
    engagement = live_engagement(tenant_a.client)
    queue = make_queue(engagement)
    agent = make_agent(engagement, email="keyer@provider.example")
    data = tmp_path / "items.csv"
    data.write_text("work_type,payload.subject\ntest.ticket,Refund\ntest.ticket,Address\n")
    assert '"created": [' in run("import", str(data), "--queue", str(queue.pk))
    listing = run("items", "--status", "queued")
    assert "Refund" in listing
    assert "Address" in listing
    assert "Claimed #" in run("next", "--agent", agent.user.email)
    assert "Inbox" in run("queues")


def test_a_bad_file_exits_non_zero_and_imports_nothing(tenant_a, tmp_path):
    queue = make_queue(live_engagement(tenant_a.client))
    data = tmp_path / "items.csv"
    data.write_text("work_type,payload.subject\ntest.ticket,\n")
    with pytest.raises(SystemExit):
        run("import", str(data), "--queue", str(queue.pk))
    with client_scope(clients=[tenant_a.client]):
        assert not WorkItem.objects.exists()
    with pytest.raises(CommandError, match="No queue"):
        run("import", str(data), "--queue", "999999")
