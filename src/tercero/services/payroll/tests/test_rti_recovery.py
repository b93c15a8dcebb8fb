"""The EPS claiming statutory pay back, filed from the API and from a run's RTI page
against a stand-in for HMRC's gateway on the loopback: the stand-in receives the
RecoverableAmountsYTD, the submission is kept, the answer is in words; others may not
file it (403 in the API, 404 for the page); another client's pay group is 404 and
nothing is sent. The Small Employers' Relief flag on the PAYE references (GOV.UK, Get
financial help with statutory pay, gov.uk/recover-statutory-payments; in 2026-27: 92 %,
or 100 % plus 9 % compensation) is audited and changes what is claimed."""

import html

import pytest
from lxml import etree

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll.models import RtiEmployer, RtiSubmission
from tercero.services.payroll.tests import test_statutory_rti
from tercero.services.payroll.tests.test_rti_gateway import StandIn, _answer, _configure

pytestmark = pytest.mark.django_db
# the mother on maternity leave from 10 May 2026, paid in May and June (the statutory tests')
on_leave = test_statutory_rti.on_leave
NS = "{http://www.govtalk.gov.uk/taxation/PAYE/RTI/EmployerPaymentSummary/26-27/1}"
# 92 % of the 2,082.86 maternity pay paid by the end of tax month 2 (test_statutory_rti.py)
LARGE = "£1,916.23 of Statutory Maternity Pay for month 2 of 2026-27"
NOTHING = (
    "UK monthly paid no statutory maternity, paternity, adoption, shared parental, parental "
    "bereavement or neonatal care pay in 2026-27 up to 05 May 2026: there is nothing to "
    "recover."
)


@pytest.fixture
def hmrc(settings):
    """A gateway that acknowledges, is polled, and accepts."""
    gateway = StandIn(
        [lambda s: _answer("acknowledgement", endpoint=s.url), lambda s: _answer("response")]
    )
    _configure(settings, gateway.url)
    yield gateway
    gateway.close()


def _recovered_sent(gateway: StandIn) -> list[dict[str, str]]:
    """The RecoverableAmountsYTD of every document the stand-in received."""
    found = []
    for root in gateway.submissions():
        section = root.find(f".//{NS}RecoverableAmountsYTD")
        found.append({etree.QName(e).localname: e.text for e in section})
    return found


def _submissions(tenant) -> list[tuple[str, str]]:
    with client_scope(clients=[tenant.client]):
        return list(RtiSubmission.objects.order_by("pk").values_list("key", "status"))


def _audited(prefix: str) -> list[str]:
    with all_clients_scope():
        found = AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
        return list(found.values_list("action", flat=True))


def _post_recovery(client, group, month=2):
    return client.post(
        f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps-recovery",
        {"tax_year": "2026-27", "month": month},
        content_type="application/json",
    )


def test_the_lead_files_the_recovery_eps_and_hmrc_receives_the_claim(
    client, tenant_a, on_leave, hmrc
):
    group, _employer, _people, _may, _june = on_leave
    client.force_login(tenant_a.team_lead)
    # when
    sent = _post_recovery(client, group)
    again = _post_recovery(client, group)
    # then the claim is stored, accepted, said in words, and reached HMRC once
    assert sent.status_code == 201, sent.content
    assert sent.json()["claim"] == f"Claims back {LARGE}"
    assert sent.json()["status_label"] == "Accepted by HMRC"
    key = f"eps:group:{group.pk}:2026-27:recovered:2"
    assert _submissions(tenant_a) == [(key, "accepted")]
    assert _recovered_sent(hmrc) == [{"TaxMonth": "2", "SMPRecovered": "1916.23"}]
    assert again.status_code == 409
    assert len(hmrc.submissions()) == 1
    assert _audited("payroll.rti.") == ["payroll.rti.sent", "payroll.rti.accepted"]
    listed = client.get(f"/api/v1/payroll/pay-groups/{group.pk}/rti").json()
    assert [s["key"] for s in listed] == [key]


def test_a_month_before_any_statutory_pay_is_refused_in_words_and_nothing_is_sent(
    client, tenant_a, on_leave, hmrc
):
    group, _employer, _people, _may, _june = on_leave
    client.force_login(tenant_a.team_lead)
    refused = _post_recovery(client, group, month=1)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == NOTHING
    assert hmrc.received == []
    assert _submissions(tenant_a) == []


def test_on_the_rti_page_the_lead_checks_the_claim_then_sends_it(client, tenant_a, on_leave, hmrc):
    group, _employer, _people, may, _june = on_leave
    client.force_login(tenant_a.team_lead)
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    assert "Check the recovery EPS for tax month 2" in page
    asked = {"kind": "recovery", "tax_year": "2026-27", "month": "2", "run": str(may.pk)}
    # the first post shows the claim; nothing is sent yet
    confirm = client.post(f"/payroll/groups/{group.pk}/rti/eps/", asked).content.decode()
    assert f"It claims back {LARGE}" in html.unescape(confirm)
    assert hmrc.received == []
    # when confirmed
    done = client.post(
        f"/payroll/groups/{group.pk}/rti/eps/", {**asked, "confirm": "yes"}, follow=True
    )
    # then the RTI page says what was recovered, and shows it accepted
    assert done.redirect_chain[-1][0] == f"/payroll/runs/{may.pk}/rti/"
    shown = html.unescape(done.content.decode())
    assert f"Recovered {LARGE}." in shown
    assert f"Accepted by HMRC</span> Claims back {LARGE}." in shown
    assert _recovered_sent(hmrc) == [{"TaxMonth": "2", "SMPRecovered": "1916.23"}]


def test_on_the_page_a_month_with_nothing_to_recover_is_refused_in_words(
    client, tenant_a, on_leave, hmrc
):
    group, _employer, _people, may, _june = on_leave
    client.force_login(tenant_a.team_lead)
    asked = {"kind": "recovery", "tax_year": "2026-27", "month": "1", "run": str(may.pk)}
    done = client.post(f"/payroll/groups/{group.pk}/rti/eps/", asked, follow=True)
    assert done.redirect_chain[-1][0] == f"/payroll/runs/{may.pk}/rti/"
    assert NOTHING in html.unescape(done.content.decode())
    assert hmrc.received == []


def test_without_the_filing_permission_the_recovery_eps_is_refused(
    client, tenant_a, on_leave, hmrc
):
    group, _employer, _people, may, _june = on_leave
    client.force_login(tenant_a.client_admin)
    page = client.get(f"/payroll/runs/{may.pk}/rti/").content.decode()
    assert "Statutory pay recovered through the EPS" in page
    assert "Check the recovery EPS" not in page
    assert _post_recovery(client, group).status_code == 403
    xml = client.get(
        f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps-recovery.xml?tax_year=2026-27&month=2"
    )
    assert xml.status_code == 403
    asked = {"kind": "recovery", "tax_year": "2026-27", "month": "2", "confirm": "yes"}
    assert client.post(f"/payroll/groups/{group.pk}/rti/eps/", asked).status_code == 404
    assert hmrc.received == []
    assert _submissions(tenant_a) == []
    assert _audited("payroll.rti.") == []


def test_another_clients_pay_group_answers_404_and_nothing_is_sent(
    client, tenant_a, tenant_b, on_leave, hmrc
):
    group, _employer, _people, _may, _june = on_leave
    client.force_login(tenant_b.team_lead)
    asked = {"kind": "recovery", "tax_year": "2026-27", "month": "2", "confirm": "yes"}
    answers = [
        _post_recovery(client, group).status_code,
        client.get(
            f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps-recovery.xml?tax_year=2026-27&month=2"
        ).status_code,
        client.post(f"/payroll/groups/{group.pk}/rti/eps/", asked).status_code,
        client.put(
            f"/api/v1/payroll/pay-groups/{group.pk}/paye-reference",
            {"paye_reference": "123/AB45678", "accounts_office_reference": "123PA00045678",
             "is_small_employer": True},
            content_type="application/json",
        ).status_code,
    ]  # fmt: skip
    assert answers == [404] * 4
    assert hmrc.received == []
    assert _submissions(tenant_a) == []
    assert _audited("payroll.rti.") == []
    assert _audited("payroll.paye_reference.") == []
    assert _audited("payroll.small_employer.") == []
    with client_scope(clients=[tenant_a.client]):
        assert RtiEmployer.objects.get(pay_group=group).is_small_employer is False


def _claimed_in_download(client, group) -> dict[str, str]:
    response = client.get(
        f"/api/v1/payroll/pay-groups/{group.pk}/rti/eps-recovery.xml?tax_year=2026-27&month=2"
    )
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"] == (
        f'attachment; filename="eps-recovery-{group.pk}-2026-27-2.xml"'
    )
    section = etree.fromstring(response.content).find(f".//{NS}RecoverableAmountsYTD")
    return {etree.QName(e).localname: e.text for e in section}


def test_the_small_employer_flag_is_audited_and_changes_what_is_recovered(
    client, tenant_a, on_leave
):
    group, _employer, _people, _may, _june = on_leave
    client.force_login(tenant_a.team_lead)
    assert _claimed_in_download(client, group) == {"TaxMonth": "2", "SMPRecovered": "1916.23"}
    page = html.unescape(client.get(f"/payroll/groups/{group.pk}/").content.decode())
    assert "Small Employers' Relief</dt><dd>not claimed" in page
    assert "£45,000 or less in the last complete tax year recovers 100%" in page
    # when the lead flags the employer as small through the API
    url = f"/api/v1/payroll/pay-groups/{group.pk}/paye-reference"
    changed = client.put(
        url,
        {"paye_reference": "123/AB45678", "accounts_office_reference": "123PA00045678",
         "is_small_employer": True, "version": 1},
        content_type="application/json",
    )  # fmt: skip
    # then it is audited, and all of the maternity pay plus 9 % compensation (2026-27) is claimed
    assert changed.status_code == 200, changed.content
    assert (changed.json()["is_small_employer"], changed.json()["version"]) == (True, 2)
    assert _audited("payroll.small_employer.") == ["payroll.small_employer.changed"]
    with all_clients_scope():
        event = AuditEvent.objects.get(action="payroll.small_employer.changed")
    assert (event.payload, event.actor_id) == ({"is_small_employer": True}, tenant_a.team_lead.pk)
    assert _claimed_in_download(client, group) == {
        "TaxMonth": "2",
        "SMPRecovered": "2082.86",
        "NICCompensationOnSMP": "187.46",
    }
    assert _audited("payroll.rti.") == ["payroll.rti.downloaded", "payroll.rti.downloaded"]
    # a save that leaves the flag alone records no change of it
    client.put(
        url,
        {"paye_reference": "123/AB45678", "accounts_office_reference": "123PA00045678"},
        content_type="application/json",
    )
    assert _audited("payroll.small_employer.") == ["payroll.small_employer.changed"]


def test_the_pay_group_page_form_clears_the_flag(client, tenant_a, on_leave):
    group, employer, _people, _may, _june = on_leave
    with client_scope(clients=[tenant_a.client]):
        RtiEmployer.objects.filter(pk=employer.pk).update(is_small_employer=True)
    client.force_login(tenant_a.team_lead)
    page = html.unescape(client.get(f"/payroll/groups/{group.pk}/").content.decode())
    assert 'name="is_small_employer" value="yes" checked' in page
    # when the form is saved with the box unticked
    client.post(
        f"/payroll/groups/{group.pk}/rti/paye/",
        {"paye_reference": "123/AB45678", "accounts_office_reference": "123PA00045678",
         "version": "1"},
    )  # fmt: skip
    # then the relief is no longer claimed, and the change is audited
    with client_scope(clients=[tenant_a.client]):
        assert RtiEmployer.objects.get(pk=employer.pk).is_small_employer is False
    assert _audited("payroll.small_employer.") == ["payroll.small_employer.changed"]
    assert _claimed_in_download(client, group)["SMPRecovered"] == "1916.23"
