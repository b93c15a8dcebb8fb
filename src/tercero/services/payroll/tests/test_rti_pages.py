"""The RTI submission page and API of a finalised UK run, against a stand-in for HMRC's
gateway on the loopback: the check lists problems in words before anything is sent,
the payroll lead (and the provider admin) send after a confirm step, HMRC's answer is
shown in its words, an accepted FPS is never sent again; others see the status only;
another client's run answers 404 and nothing is sent. The no-payment EPS from the pay
group's page, and the PAYE references it files under. Whether HMRC's schemas are
installed follows TERCERO_HMRC_SCHEMAS (rti_world.py); without them, and while they are
required, the page and the API say so and nothing is sent."""

import html

import pytest

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll.models import RtiPerson, RtiSubmission
from tercero.services.payroll.tests.rti_world import (
    assert_checked,
    page_words,
    unchecked_words,
    use_schemas,
    world,
)
from tercero.services.payroll.tests.test_rti_gateway import StandIn, _answer, _configure

pytestmark = pytest.mark.django_db
REFUSAL = "The NINO is not valid for this employee"


@pytest.fixture
def paid(tenant_a, settings, tmp_path):
    use_schemas(settings, tmp_path)
    return world(tenant_a)


@pytest.fixture
def hmrc(settings):
    """A gateway that acknowledges, is polled, and accepts; tests may replace the script."""
    gateway = StandIn(
        [lambda s: _answer("acknowledgement", endpoint=s.url), lambda s: _answer("response")]
    )
    _configure(settings, gateway.url)
    yield gateway
    gateway.close()


def _submissions(tenant) -> list[tuple[str, str]]:
    with client_scope(clients=[tenant.client]):
        return list(RtiSubmission.objects.order_by("pk").values_list("kind", "status"))


def _audited(prefix: str) -> list[str]:
    with all_clients_scope():
        found = AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
        return list(found.values_list("action", flat=True))


def test_the_check_lists_problems_in_words_before_anything_is_sent(client, tenant_a, paid):
    # given a run where one employee has no gender recorded for HMRC
    _group, people, _april, may = paid
    with client_scope(clients=[tenant_a.client]):
        RtiPerson.objects.filter(employee=people["W-1"]).delete()
    client.force_login(tenant_a.team_lead)
    # when
    status = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    # then
    problem = "W-1: no gender recorded for HMRC (M or F, as on their NI record)"
    assert status["ready"] is False
    assert status["problems"] == [problem]
    assert problem in page
    assert "Send to HMRC" not in page


def test_the_payroll_lead_sends_the_fps_once_and_hmrc_accepts_it(client, tenant_a, paid, hmrc):
    _group, _people, _april, may = paid
    client.force_login(tenant_a.team_lead)
    before = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    assert (before["ready"], before["employees"], before["submissions"]) == (True, 5, [])
    # when
    sent = client.post(f"/api/v1/payroll/runs/{may.pk}/rti/submit")
    again = client.post(f"/api/v1/payroll/runs/{may.pk}/rti/submit")
    # then
    assert sent.status_code == 201, sent.content
    assert sent.json()["status_label"] == "Accepted by HMRC"
    assert sent.json()["answer"] == "Accepted by HMRC."
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "rti_accepted"
    after = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    assert (after["ready"], after["accepted"], len(after["submissions"])) == (False, True, 1)
    assert len(hmrc.submissions()) == 1
    assert _audited("payroll.rti.") == ["payroll.rti.sent", "payroll.rti.accepted"]


def test_on_the_page_the_lead_confirms_and_sees_hmrcs_refusal_in_its_words(
    client, tenant_a, paid, hmrc
):
    _group, _people, _april, may = paid
    hmrc.script = [lambda s: _answer("error", errors=[REFUSAL])]
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    assert page_words() in html.unescape(page)
    assert "Send to HMRC…" in page
    confirm = client.get(f"/payroll/runs/{may.pk}/rti/?confirm=1").content.decode()
    assert "Send this FPS to HMRC?" in confirm
    # a post without the confirmation sends nothing
    client.post(f"/payroll/runs/{may.pk}/rti/send/")
    assert _submissions(tenant_a) == []
    # when confirmed
    response = client.post(f"/payroll/runs/{may.pk}/rti/send/", {"confirm": "yes"}, follow=True)
    # then HMRC's answer is on the page in its words
    shown = response.content.decode()
    assert f"HMRC refused it: {REFUSAL}" in shown
    assert "Refused or not answered" in shown
    assert _submissions(tenant_a) == [("fps", "error")]


def test_others_see_the_status_without_the_send_button(
    client, tenant_a, paid, hmrc, provider_admin
):
    _group, _people, _april, may = paid
    # the client's admin reads the status, and may not send
    client.force_login(tenant_a.client_admin)
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    assert "Nothing sent to HMRC for this run yet." in page
    assert "Send to HMRC" not in page
    assert "Download the FPS" not in page
    assert client.post(f"/api/v1/payroll/runs/{may.pk}/rti/submit").status_code == 403
    assert client.post(f"/payroll/runs/{may.pk}/rti/send/", {"confirm": "yes"}).status_code == 404
    assert client.get(f"/api/v1/payroll/runs/{may.pk}/rti/fps.xml").status_code == 403
    assert _submissions(tenant_a) == []
    assert hmrc.received == []
    # the provider admin may send
    client.force_login(provider_admin)
    assert "Send to HMRC…" in client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()


def test_the_fps_xml_downloads_valid_without_credentials_and_is_audited(client, tenant_a, paid):
    _group, _people, _april, may = paid
    client.force_login(tenant_a.team_lead)
    response = client.get(f"/payroll/runs/{may.pk}/rti/fps.xml")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="fps-run-{may.pk}-2025-26-2.xml"'
    )
    assert_checked(response.content, kind="fps")
    assert b"SenderDetails" not in response.content
    assert _audited("payroll.rti.") == ["payroll.rti.downloaded"]


def test_another_clients_run_answers_404_and_nothing_is_sent(
    client, tenant_a, tenant_b, paid, hmrc
):
    group, _people, _april, may = paid
    client.force_login(tenant_b.team_lead)
    answers = [
        client.get(f"/api/v1/payroll/runs/{may.pk}/rti").status_code,
        client.get(f"/api/v1/payroll/runs/{may.pk}/rti/fps.xml").status_code,
        client.post(f"/api/v1/payroll/runs/{may.pk}/rti/submit").status_code,
        client.get(f"/payroll/runs/{may.pk}/rti/").status_code,
        client.post(f"/payroll/runs/{may.pk}/rti/send/", {"confirm": "yes"}).status_code,
        client.post(
            f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps",
            {"tax_year": "2025-26", "month_from": 3, "month_to": 3},
            content_type="application/json",
        ).status_code,
    ]
    assert answers == [404] * 6
    assert _submissions(tenant_a) == []
    assert hmrc.received == []
    assert _audited("payroll.rti.") == []


def test_the_eps_for_months_nobody_was_paid_is_checked_then_sent(client, tenant_a, paid, hmrc):
    group, _people, _april, _may = paid
    client.force_login(tenant_a.team_lead)
    asked = {"tax_year": "2025-26", "month_from": "3", "month_to": "4"}
    # the first post shows what will be sent; nothing is sent yet
    confirm = client.post(f"/payroll/groups/{group.pk}/rti/eps/", asked).content.decode()
    assert "Tell HMRC nobody was paid?" in confirm
    assert "tax months 3 to 4" in confirm
    assert hmrc.received == []
    # when confirmed
    done = client.post(
        f"/payroll/groups/{group.pk}/rti/eps/", {**asked, "confirm": "yes"}, follow=True
    )
    # then
    assert "HMRC accepted the Employer Payment Summary." in done.content.decode()
    assert _submissions(tenant_a) == [("eps", "accepted")]
    listed = client.get(f"/api/v1/payroll/pay-groups/{group.pk}/rti").json()
    assert [s["key"] for s in listed] == [f"eps:group:{group.pk}:2025-26:3-4"]
    # months a run paid are refused in words
    paid_months = client.post(
        f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps",
        {"tax_year": "2025-26", "month_from": 1, "month_to": 1},
        content_type="application/json",
    )
    assert paid_months.status_code == 409
    assert (
        "paid people between 06 Apr 2025 and 05 May 2025"
        in (paid_months.json()["error"]["message"])
    )


def test_paye_references_are_checked_in_words_and_a_stale_change_is_refused(client, tenant_a, paid):
    group, _people, _april, _may = paid
    client.force_login(tenant_a.team_lead)
    url = f"/api/v1/payroll/pay-groups/{group.pk}/paye-reference"
    bad = client.put(
        url,
        {"paye_reference": "AB45678", "accounts_office_reference": "123PA00045678"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith(
        "The employer PAYE reference is the tax office number, a slash and the reference"
    )
    good = client.put(
        url,
        {"paye_reference": "456 / cd1234", "accounts_office_reference": "456PB0001234X",
         "version": 1},
        content_type="application/json",
    )  # fmt: skip
    assert good.status_code == 200, good.content
    assert (good.json()["paye_reference"], good.json()["version"]) == ("456/CD1234", 2)
    stale = client.put(
        url,
        {"paye_reference": "789/EF1", "accounts_office_reference": "456PB0001234X", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    page = client.get(f"/payroll/groups/{group.pk}/").content.decode()
    assert "456/CD1234" in page
    assert _audited("payroll.paye_reference.") == ["payroll.paye_reference.changed"]


def test_the_gender_hmrc_holds_is_recorded_on_the_employee_page_and_clears_the_check(
    client, tenant_a, paid, settings
):
    # given a run whose check names an employee without the gender HMRC holds
    _group, people, _april, may = paid
    welsh = people["W-1"]
    with client_scope(clients=[tenant_a.client]):
        RtiPerson.objects.filter(employee=welsh).delete()
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/employees/{welsh.pk}/").content.decode()
    assert "not recorded: the FPS needs it" in page
    # a value HMRC does not know is refused in words, and nothing is stored
    refused = client.put(
        f"/api/v1/payroll/employees/{welsh.pk}/hmrc-gender",
        {"gender": "X"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("Choose the gender HMRC holds")
    # when the lead records it on the page (sending without HMRC's schemas allowed)
    settings.RTI_REQUIRE_SCHEMAS = False
    client.post(f"/payroll/employees/{welsh.pk}/hmrc-gender/", {"gender": "F"})
    # then the check passes
    status = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    assert (status["ready"], status["problems"]) == (True, [])
    assert _audited("payroll.hmrc_gender.") == ["payroll.hmrc_gender.changed"]


def test_without_hmrcs_schemas_the_page_and_api_say_so_and_nothing_is_sent(
    client, tenant_a, paid, hmrc, settings, tmp_path
):
    # given no HMRC schemas installed while they are required (the default)
    group, _people, _april, may = paid
    settings.RTI_SCHEMA_DIR = tmp_path / "empty"
    settings.RTI_REQUIRE_SCHEMAS = True
    refusal = f"{unchecked_words()}. Nothing is sent to HMRC until they are installed."
    client.force_login(tenant_a.team_lead)
    # when
    status = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    sent = client.post(f"/api/v1/payroll/runs/{may.pk}/rti/submit")
    eps = client.post(
        f"/payroll/groups/{group.pk}/rti/eps/",
        {"tax_year": "2025-26", "month_from": "3", "month_to": "3"},
    ).content.decode()
    # then the check, the page and the API say it in words, and nothing goes out
    assert (status["ready"], status["schemas_checked"]) == (False, False)
    assert status["problems"] == [refusal]
    assert status["schema_check"] == f"{unchecked_words()}."
    assert status["employees"] == 5
    assert refusal in html.unescape(page)
    assert "Send to HMRC" not in page
    assert sent.status_code == 409
    assert sent.json()["error"]["message"] == refusal
    assert "This EPS cannot be sent yet" in eps
    assert "Yes, send it to HMRC" not in eps
    assert hmrc.received == []
    assert _submissions(tenant_a) == []
    # when sending without them is allowed, the FPS is ready and still says so
    settings.RTI_REQUIRE_SCHEMAS = False
    allowed = client.get(f"/api/v1/payroll/runs/{may.pk}/rti").json()
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    assert (allowed["ready"], allowed["problems"]) == (True, [])
    assert unchecked_words() in html.unescape(page)
    assert "Send to HMRC…" in page
