"""A session covers a shift: it lives the provider's absolute lifetime after sign-in (1 to
16 hours, set by the provider admin on the settings page), its cookie never ends sooner,
and a session left idle still ends after SESSION_IDLE_SECONDS (issue 20, item 10)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.models import Provider
from tercero.platform.tenancy.scoping import all_clients_scope

SHIFT = timedelta(hours=9, minutes=30)  # a nine-hour shift with its breaks


def _busy_until(client, start, end, path="/portal/") -> None:
    """Requests every ten minutes from `start` to `end`, each answered."""
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            assert client.get(path).status_code == 200, moment - start
        moment += timedelta(minutes=10)


def _provider_sets(hours: int) -> None:
    Provider.objects.update(session_hours=hours)


def test_a_busy_session_lives_through_a_shift_of_nine_and_a_half_hours(client, tenant_a):
    # given a client user signed in at the start of the shift
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(tenant_a.client_user)
        response = client.get("/portal/")
    # then the cookie is set to outlive the longest lifetime a provider may choose
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] >= 16 * 3600
    # when they work the whole shift, a request every ten minutes
    _busy_until(client, start, start + SHIFT)
    # then they are still signed in at its end
    assert SESSION_KEY in client.session


def test_a_session_ends_at_the_lifetime_the_provider_set(client, tenant_a):
    # given the provider's sessions last 10 hours
    _provider_sets(10)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(tenant_a.client_user)
    # when the user keeps busy until a minute before that
    _busy_until(client, start, start + timedelta(hours=10) - timedelta(minutes=1))
    # then the next request after ten hours signs them out, however busy they were
    with time_machine.travel(start + timedelta(hours=10, minutes=1), tick=False):
        response = client.get("/portal/")
    assert response["Location"] == "/login/?next=/portal/"
    assert SESSION_KEY not in client.session


def test_a_shorter_lifetime_ends_a_busy_session_sooner(client, tenant_a):
    _provider_sets(2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(tenant_a.agent)
    _busy_until(client, start, start + timedelta(hours=1, minutes=50), path="/work/")
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        assert client.get("/work/").status_code == 302
    assert SESSION_KEY not in client.session


def test_an_idle_session_still_ends_after_the_idle_timeout(client, tenant_a):
    # given a long lifetime
    _provider_sets(16)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(tenant_a.client_user)
        assert client.get("/portal/").status_code == 200
    # when nobody makes a request for longer than the idle timeout
    later = start + timedelta(seconds=settings.SESSION_IDLE_SECONDS + 60)
    with time_machine.travel(later, tick=False):
        response = client.get("/portal/")
    # then the session has ended
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_the_provider_admin_sets_the_session_lifetime_on_the_settings_page(client, provider_admin):
    # given the provider admin on the settings page
    client.force_login(provider_admin)
    page = client.get("/settings/").content.decode()
    assert "A session lasts <strong>12 hours</strong> after sign-in" in page
    # when they set ten hours
    response = client.post("/settings/", {"session_hours": "10"}, follow=True)
    # then it is saved, said and audited
    assert "Sessions now last 10 hours after sign-in." in response.content.decode()
    assert Provider.objects.get().session_hours == 10
    with all_clients_scope():
        event = AuditEvent.objects.get(action="provider.session_hours_changed")
    assert event.payload == {"from": None, "to": 10}
    assert event.actor_id == provider_admin.pk


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("0", "A session lasts at least 1 hour."),
        ("17", "A session lasts at most 16 hours."),
        ("nine", "Give the lifetime in whole hours."),
        ("", "Give the lifetime in whole hours."),
    ],
)
def test_a_lifetime_outside_one_to_sixteen_hours_is_refused_in_words(
    client, provider_admin, typed, said
):
    client.force_login(provider_admin)
    response = client.post("/settings/", {"session_hours": typed})
    assert response.status_code == 422
    assert said in response.content.decode()
    assert Provider.objects.get().session_hours is None
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action="provider.session_hours_changed").exists()


def test_only_the_provider_admin_opens_the_settings(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", {"session_hours": "16"}).status_code == 403
    client.force_login(tenant_a.client_admin)
    assert client.get("/settings/").status_code == 404
    assert Provider.objects.get().session_hours is None
