"""The set-up pages: lists export CSV, tiers are set and removed on pages with refusals
in words, and people without `care:setup` are kept out."""

import pytest

from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.services.care.models import Macro, TierQueue, WebChannel

LISTS = (
    "/care/mailboxes/",
    "/care/macros/",
    "/care/web-channels/",
    "/care/custom-fields/",
    "/care/checklists/",
    "/care/tiers/",
    "/care/sla-policies/",
)


@pytest.fixture
def desk(tenant_a):
    engagement = live_engagement(tenant_a.client, name="Acme care", service_line="customer_care")
    return {
        "engagement": engagement,
        "chat": make_queue(engagement, name="Chat", work_types=["care.ticket"]),
        "l2": make_queue(engagement, name="Second line", work_types=["support.ticket"]),
    }


def test_every_set_up_list_exports_csv(client, desk, manager, tenant_a):
    with all_clients_scope():
        WebChannel.objects.create(
            client=tenant_a.client, engagement=desk["engagement"], queue=desk["chat"], key="acme"
        )
        Macro.objects.create(
            client=tenant_a.client, engagement=desk["engagement"], name="=SUM(A1)", reply="x"
        )
    client.force_login(manager)
    answers = {url: client.get(url + "?format=csv") for url in LISTS}
    assert {a["Content-Type"] for a in answers.values()} == {"text/csv; charset=utf-8"}
    assert answers["/care/web-channels/"].content.decode().splitlines()[1].startswith("acme,")
    assert "'=SUM(A1)" in answers["/care/macros/"].content.decode()
    assert "Acme care" in answers["/care/sla-policies/"].content.decode()


def test_a_tier_is_set_refused_in_words_and_removed_on_pages(client, desk, manager):
    client.force_login(manager)
    url = f"/care/tiers/new/?engagement={desk['engagement'].pk}"
    offered = client.get(url).content.decode()
    assert ("Second line" in offered, ">Chat<" in offered) == (True, False)
    saved = client.post(url, {"tier": "L2", "queue_id": desk["l2"].pk}, follow=True)
    assert "Tier saved." in saved.content.decode()
    again = client.post(url, {"tier": "L2", "queue_id": desk["l2"].pk})
    assert "taken" in again.content.decode()
    with all_clients_scope():
        [route] = TierQueue.objects.all()
    listed = client.get("/care/tiers/?q=second").content.decode()
    assert "Second line" in listed
    client.post(f"/care/tiers/{route.pk}/remove/")
    with all_clients_scope():
        assert TierQueue.objects.count() == 0
        actions = AuditEvent.objects.filter(action__startswith="care.tier.").order_by("id")
        assert list(actions.values_list("action", flat=True)) == [
            "care.tier.created",
            "care.tier.removed",
        ]


def test_agents_and_client_users_do_not_open_the_set_up_pages(client, desk, tenant_a):
    answers = []
    for person in (tenant_a.agent, tenant_a.client_admin):
        client.force_login(person)
        answers += [client.get(url).status_code for url in (*LISTS[2:], "/care/setup-copy/")]
    assert answers == [403] * 6 + [404] * 6


def test_a_delivery_manager_sees_no_copy_link_nor_page(client, desk, manager):
    client.force_login(manager)
    page = client.get("/care/tiers/").content.decode()
    assert "Copy a set-up" not in page
    assert client.get("/care/setup-copy/").status_code == 403
