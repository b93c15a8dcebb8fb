"""The employee page's statutory absences: listed in words, recorded and corrected by
payroll staff (a stale correction refused in words), read-only for a client admin,
404 for another client; and the API's correction route."""

from datetime import date

import pytest

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.payroll import statutory_leave
from tercero.services.payroll.models import StatutoryAbsence
from tercero.services.payroll.tests.factories import hire, uk_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def mother(tenant_a):
    """An employee since June 2025 on maternity leave from Sunday 10 May 2026 for seven
    weeks, on average weekly earnings of 600.00 (given)."""
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        employee = hire(tenant_a.team_lead, group, "E-1", start=date(2025, 6, 1))
        absence = statutory_leave.record_absence(
            actor=tenant_a.team_lead,
            employee=employee,
            kind="maternity",
            start=date(2026, 5, 10),
            end=date(2026, 6, 27),
            expected_on=date(2026, 5, 17),
            average_weekly_earnings_minor=60000,
        )
    return employee, absence


def _page(client, employee) -> str:
    response = client.get(f"/payroll/employees/{employee.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_lists_an_absence_in_words_with_its_rates_and_total(tenant_a, client, mother):
    employee, _absence = mother
    client.force_login(tenant_a.team_lead)
    page = _page(client, employee)
    # then: six weeks at 90 % of 600.00, then one at the 2026-27 flat rate of 194.32
    assert "Statutory absences" in page
    assert '<td data-label="Absence">Maternity</td>' in page
    assert "10 May 2026 to 27 June 2026" in page
    assert "£540.00, then £194.32" in page
    assert "£3,434.32" in page  # 6 x 540.00 + 194.32
    assert "Record an absence" in page
    assert "Correct the maternity absence from 10 May 2026 to 27 June 2026" in page


def test_staff_record_a_sickness_from_the_page(tenant_a, client, mother):
    employee, _absence = mother
    client.force_login(tenant_a.team_lead)
    response = client.post(
        f"/payroll/employees/{employee.pk}/absences/",
        {"kind": "sickness", "start": "2026-07-06", "end": "2026-07-10", "earnings": "500.00",
         "days": ["0", "1", "2", "3", "4"]},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "The absence is recorded; runs from now on pay it." in page
    with client_scope(clients=[tenant_a.client]):
        sick = StatutoryAbsence.objects.get(employee=employee, kind="sickness")
    assert (sick.start, sick.end, sick.average_weekly_earnings_minor) == (
        date(2026, 7, 6), date(2026, 7, 10), 50000
    )  # fmt: skip
    # five days from 6 April 2026 (no waiting days) at the flat rate of 123.25 a week
    assert "6 July 2026 to 10 July 2026" in page
    assert "£123.25" in page


def test_an_absence_that_does_not_qualify_is_refused_in_a_sentence(tenant_a, client):
    group = uk_group(tenant_a.client)
    with client_scope(clients=[tenant_a.client]):
        newcomer = hire(tenant_a.team_lead, group, "E-2", start=date(2026, 4, 1))
    client.force_login(tenant_a.team_lead)
    response = client.post(
        f"/payroll/employees/{newcomer.pk}/absences/",
        {"kind": "maternity", "start": "2026-05-10", "expected_on": "2026-05-17",
         "earnings": "600"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert (
        "This maternity absence does not qualify: employment must have started by "
        "16 August 2025 to reach 26 weeks into the qualifying week"
    ) in page
    with client_scope(clients=[tenant_a.client]):
        assert not StatutoryAbsence.objects.filter(employee=newcomer).exists()


def test_a_correction_is_saved_and_a_stale_one_refused_in_words(tenant_a, client, mother):
    _employee, absence = mother
    client.force_login(tenant_a.team_lead)
    url = f"/payroll/absences/{absence.pk}/correct/"
    form = {"version": "1", "start": "2026-05-10", "end": "2026-06-20", "expected_on": "2026-05-17",
            "earnings": "600.00"}  # fmt: skip
    saved = client.post(url, form, follow=True).content.decode()
    stale = client.post(url, {**form, "end": "2026-06-13"}, follow=True).content.decode()
    assert "The absence is corrected; runs from now on pay it so." in saved
    assert "10 May 2026 to 20 June 2026" in saved
    assert "£3,240.00" in saved  # six weeks at 540.00
    assert "The absence was changed by someone else; reload it." in stale
    with client_scope(clients=[tenant_a.client]):
        absence.refresh_from_db()
    assert (absence.end, absence.version) == (date(2026, 6, 20), 2)


def test_a_client_admin_sees_the_absences_but_no_form_and_cannot_post(tenant_a, client, mother):
    employee, absence = mother
    client.force_login(tenant_a.client_admin)
    page = _page(client, employee)
    assert "10 May 2026 to 27 June 2026" in page
    assert "Record an absence" not in page
    assert "Save the correction" not in page
    refused = client.post(
        f"/payroll/absences/{absence.pk}/correct/", {"version": "1", "start": "2026-05-11"}
    )
    assert refused.status_code == 404
    with client_scope(clients=[tenant_a.client]):
        absence.refresh_from_db()
    assert (absence.start, absence.version) == (date(2026, 5, 10), 1)


def test_another_clients_people_get_404_and_change_nothing(tenant_a, tenant_b, client, mother):
    employee, absence = mother
    client.force_login(tenant_b.client_admin)
    assert client.get(f"/payroll/employees/{employee.pk}/").status_code == 404
    client.force_login(tenant_b.team_lead)
    record = client.post(
        f"/payroll/employees/{employee.pk}/absences/",
        {"kind": "sickness", "start": "2026-07-06", "earnings": "500"},
    )
    correct = client.post(
        f"/payroll/absences/{absence.pk}/correct/", {"version": "1", "start": "2026-05-11"}
    )
    api = client.patch(
        f"/api/v1/payroll/absences/{absence.pk}",
        {"version": 1, "changes": {"start": "2026-05-11"}},
        content_type="application/json",
    )
    assert (record.status_code, correct.status_code, api.status_code) == (404, 404, 404)
    with client_scope(clients=[tenant_a.client]):
        assert StatutoryAbsence.objects.filter(employee=employee).count() == 1
    with client_scope(clients=[tenant_a.client]):
        absence.refresh_from_db()
    assert (absence.start, absence.version) == (date(2026, 5, 10), 1)


def test_the_api_corrects_an_absence_and_refuses_a_stale_version(tenant_a, client, mother):
    _employee, absence = mother
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/payroll/absences/{absence.pk}"
    body = {"version": 1, "changes": {"end": "2026-06-20"}}
    corrected = client.patch(url, body, content_type="application/json")
    stale = client.patch(url, body, content_type="application/json")
    assert corrected.status_code == 200
    assert (corrected.json()["end"], corrected.json()["version"]) == ("2026-06-20", 2)
    assert corrected.json()["average_weekly_earnings_minor"] == 60000  # kept as given
    assert stale.status_code == 409
    assert "The absence was changed by someone else; reload it." in stale.content.decode()


def test_sickness_during_maternity_pay_shows_no_sick_pay(tenant_a, client, mother):
    employee, _absence = mother
    with client_scope(clients=[tenant_a.client]):
        statutory_leave.record_absence(
            actor=tenant_a.team_lead,
            employee=employee,
            kind="sickness",
            start=date(2026, 6, 1),
            end=date(2026, 6, 5),
            average_weekly_earnings_minor=60000,
        )
    client.force_login(tenant_a.team_lead)
    page = _page(client, employee)
    # then: the sickness falls in the maternity pay period: no SSP is due (GOV.UK)
    assert "1 June 2026 to 5 June 2026</td>" in page
    assert '<td data-label="Statutory pay">£0.00</td>' in page
