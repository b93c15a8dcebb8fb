"""The agent's screen in the API: the lead masked but for the first name, the merged and
branching script whose answers are stored, hotkeyed dispositions, callbacks in the
lead's own time inside the window, a sale's value."""

import pytest

from tercero.delivery.work.models import WorkEvent
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.outbound import dialler
from tercero.services.outbound.models import CallAttempt, Campaign, Lead
from tercero.services.outbound.tests.dialling import active, afternoon
from tercero.services.outbound.tests.world import build

SCRIPT = {
    "questions": [
        {
            "key": "renew",
            "text": "Hello {first_name}, shall we renew your {plan} plan?",
            "choices": ["yes", "no"],
            "next": {"yes": "term", "no": "why"},
        },
        {"key": "term", "text": "One year or two?", "choices": ["1", "2"], "next": {"*": "end"}},
        {"key": "why", "text": "May I ask why not?"},
    ]
}


@pytest.fixture
def call(tenant_a):
    world = active(
        build(
            tenant_a,
            script=SCRIPT,
            lead_fields=[{"key": "plan", "label": "Plan", "kind": "text"}],
        ),
        [{"phone": "+12125550123", "name": "Ann Archer", "postal_code": "10001", "plan": "gold"}],
    )
    with client_scope(clients=[tenant_a.client]):
        Campaign.objects.filter(pk=world.campaign.pk).update(script=SCRIPT)
        world.campaign.refresh_from_db()
        attempt = dialler.dial_next(
            actor=None, campaign=world.campaign, agent_id=world.manager.pk, now=afternoon()
        ).attempt
    return world, attempt


def test_the_screen_shows_the_merged_script_and_masks_the_number(client, call):
    world, attempt = call
    client.force_login(world.manager)

    response = client.get(f"/api/v1/outbound/attempts/{attempt.pk}")

    assert response.status_code == 200
    data = response.json()
    assert data["questions"][0]["text"] == "Hello Ann, shall we renew your gold plan?"
    assert len(data["questions"]) == 1  # nothing answered yet: the first question only
    assert "2125550123" not in data["lead"]["phone"]
    assert data["lead"]["zone"] == "America/New_York"
    assert {d["hotkey"] for d in data["dispositions"]} >= {"1", "9"}
    assert data["verify_url"] == "/work/contact/"
    with client_scope(clients=[world.tenant.client]):
        assert AuditEvent.objects.filter(action="outbound.screen.opened").count() == 1


def test_answers_follow_the_branch_and_a_sale_is_stored_with_its_value(client, call):
    world, attempt = call
    client.force_login(world.manager)
    url = f"/api/v1/outbound/attempts/{attempt.pk}/disposition"

    wrong = client.post(
        url,
        {
            "disposition": "sale",
            "answers": {"renew": "maybe"},
            "value": "129.00",
            "currency": "USD",
        },
        content_type="application/json",
    )
    assert wrong.status_code == 422
    response = client.post(
        url,
        {
            "disposition": "sale",
            "answers": {"renew": "yes", "term": "2", "why": "price"},
            "value": "129.00",
            "currency": "USD",
            "wrap_seconds": 14,
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["answers"] == {"renew": "yes", "term": "2"}  # "why": not taken
    with client_scope(clients=[world.tenant.client]):
        sale = WorkEvent.objects.get(kind="outbound.sale.made")
        assert sale.data["value_minor"] == 12900
        assert CallAttempt.objects.get(pk=attempt.pk).wrap_seconds == 14
    again = client.post(url, {"disposition": "no_answer"}, content_type="application/json")
    assert again.status_code == 409


def test_a_callback_is_booked_in_the_lead_s_time_and_refused_outside_the_window(client, call):
    world, attempt = call
    client.force_login(world.manager)
    url = f"/api/v1/outbound/attempts/{attempt.pk}/disposition"
    day = afternoon().date().isoformat()

    late = client.post(
        url,
        {"disposition": "callback", "callback_at": f"{day}T22:30"},
        content_type="application/json",
    )
    assert late.status_code == 422
    assert "outside the calling window" in str(late.json())
    booked = client.post(
        url,
        {"disposition": "callback", "callback_at": f"{day}T10:15", "callback_for": "me"},
        content_type="application/json",
    )

    assert booked.status_code == 200
    with client_scope(clients=[world.tenant.client]):
        lead = Lead.objects.get(pk=attempt.lead_id)
        assert lead.callback_agent_id == world.manager.pk
        assert lead.callback_at.hour in (14, 15)  # 10:15 in New York: EDT or EST


def test_the_screen_page_labels_every_control_and_ends_the_call(client, call):
    world, attempt = call
    client.force_login(world.manager)

    page = client.get(f"/outbound/calls/{attempt.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello Ann, shall we renew your gold plan?" in html
    assert "2125550123" not in html
    assert 'src="/static/outbound/screen.js"' in html
    assert "<script>" not in html
    assert 'data-hotkey="9"' in html
    assert "/work/contact/" in html
    branched = client.get(f"/outbound/calls/{attempt.pk}/?answer_renew=no")
    assert "May I ask why not?" in branched.content.decode()
    ended = client.post(
        f"/outbound/calls/{attempt.pk}/end/",
        {"disposition": "not_interested", "answer_renew": "no", "answer_why": "price"},
    )
    assert ended.status_code == 302
    with client_scope(clients=[world.tenant.client]):
        done = CallAttempt.objects.get(pk=attempt.pk)
        assert done.answers == {"renew": "no", "why": "price"}
        assert done.lead.status == Lead.Status.DONE
