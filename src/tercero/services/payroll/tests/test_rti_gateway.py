"""Filing through the gateway client against a stand-in for HMRC's Transaction Engine,
a real HTTP server on the loopback started here: the submission is acknowledged, polled
and answered; HMRC's answer is kept on the run; an error may be sent again, an accepted
return never is. These tests send whether or not HMRC's schemas are installed
(RTI_REQUIRE_SCHEMAS false); one shows that while they are required and missing,
nothing is sent."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll import rti, rti_gateway
from tercero.services.payroll.models import RtiSubmission
from tercero.services.payroll.tests.rti_world import (
    assert_checked,
    unchecked_words,
    use_schemas,
    world,
)

pytestmark = pytest.mark.django_db
NS = rti.ENVELOPE_NS


def _answer(qualifier: str, *, correlation="0A1B2C", endpoint="", errors=()) -> bytes:
    endpoint_xml = (
        f'<ResponseEndPoint PollInterval="0">{endpoint}</ResponseEndPoint>' if endpoint else ""
    )
    errors_xml = "".join(
        f"<Error><RaisedBy>ChRIS</RaisedBy><Type>business</Type><Text>{text}</Text></Error>"
        for text in errors
    )
    details = f"<GovTalkErrors>{errors_xml}</GovTalkErrors>" if errors else ""
    return (
        f'<?xml version="1.0"?><GovTalkMessage xmlns="{NS}"><EnvelopeVersion>2.0</EnvelopeVersion>'
        f"<Header><MessageDetails><Class>HMRC-PAYE-RTI-FPS</Class><Qualifier>{qualifier}"
        f"</Qualifier><Function>submit</Function><CorrelationID>{correlation}</CorrelationID>"
        f"{endpoint_xml}</MessageDetails></Header><GovTalkDetails>{details}</GovTalkDetails>"
        "</GovTalkMessage>"
    ).encode()


class StandIn:
    """HMRC's gateway as far as the protocol goes: answers each request from a script
    and keeps every message it received."""

    def __init__(self, script):
        self.script = list(script)
        self.received: list[bytes] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.received.append(body)
                reply = stand_in.script.pop(0)(stand_in) if stand_in.script else b""
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                """Keep test output quiet (the default logs every request to stderr)."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/submission"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def submissions(self) -> list[etree._Element]:
        roots = [etree.fromstring(body) for body in self.received]
        return [r for r in roots if r.findtext(f".//{{{NS}}}Qualifier") == "request"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def run(tenant_a, settings, tmp_path):
    use_schemas(settings, tmp_path)
    _group, _people, _april, may = world(tenant_a)
    return may


def _configure(settings, url):
    settings.RTI_GATEWAY_URL = url
    settings.RTI_SENDER_ID = "ISV123"
    settings.RTI_SENDER_PASSWORD = "s3cret"
    settings.RTI_GATEWAY_TEST = True
    settings.RTI_REQUIRE_SCHEMAS = False


def _send(tenant, run):
    with client_scope(clients=[tenant.client]):
        document = rti.fps(run)
        return rti_gateway.submit(
            actor=tenant.team_lead, document=document, client_id=tenant.client.pk
        )


def test_an_acknowledged_fps_is_polled_to_acceptance_and_never_sent_twice(tenant_a, run, settings):
    gateway = StandIn(
        [
            lambda s: _answer("acknowledgement", endpoint=s.url),
            lambda s: _answer("response"),
        ]
    )
    _configure(settings, gateway.url)
    try:
        submission = _send(tenant_a, run)
        assert submission.status == RtiSubmission.Status.ACCEPTED
        assert submission.answer == "Accepted by HMRC."
        assert submission.correlation_id == "0A1B2C"
        # the retry: refused before anything reaches HMRC
        with pytest.raises(Conflict) as refused:
            _send(tenant_a, run)
        assert "HMRC accepted this return" in refused.value.message
        assert len(gateway.submissions()) == 1
        sent = gateway.submissions()[0]
        # what HMRC received carries the sender; what is kept does not
        assert sent.findtext(f".//{{{NS}}}SenderID") == "ISV123"
        assert sent.findtext(f".//{{{NS}}}GatewayTest") == "1"
        assert "s3cret" not in submission.document
        assert_checked(submission.document.encode(), kind="fps")
        polls = [b for b in gateway.received if b"<Qualifier>poll</Qualifier>" in b]
        assert len(polls) == 1
        assert b"<CorrelationID>0A1B2C</CorrelationID>" in polls[0]
    finally:
        gateway.close()
    with all_clients_scope():
        actions = list(
            AuditEvent.objects.filter(action__startswith="payroll.rti.").values_list(
                "action", flat=True
            )
        )
    assert sorted(actions) == ["payroll.rti.accepted", "payroll.rti.sent"]


def test_an_error_is_kept_in_hmrcs_words_and_the_return_may_be_sent_again(tenant_a, run, settings):
    gateway = StandIn(
        [
            lambda s: _answer("error", errors=["The NINO is not valid for this employee"]),
            lambda s: _answer("response"),
        ]
    )
    _configure(settings, gateway.url)
    try:
        first = _send(tenant_a, run)
        assert first.status == RtiSubmission.Status.ERROR
        assert first.answer == "HMRC refused it: The NINO is not valid for this employee"
        second = _send(tenant_a, run)
        assert second.status == RtiSubmission.Status.ACCEPTED
        with pytest.raises(Conflict):
            _send(tenant_a, run)
        assert len(gateway.submissions()) == 2
        with client_scope(clients=[tenant_a.client]):
            kept = list(run.rti_submissions.values_list("status", flat=True))
        assert sorted(kept) == ["accepted", "error"]
    finally:
        gateway.close()


def test_an_unreachable_gateway_is_an_error_in_words(tenant_a, run, settings):
    gateway = StandIn([])
    url = gateway.url
    gateway.close()  # nothing listens there any more
    _configure(settings, url)
    submission = _send(tenant_a, run)
    assert submission.status == RtiSubmission.Status.ERROR
    assert submission.answer.startswith("HMRC's gateway could not be reached")


def test_without_a_configured_gateway_nothing_is_sent(tenant_a, run, settings):
    settings.RTI_GATEWAY_URL = ""
    settings.RTI_REQUIRE_SCHEMAS = False
    with pytest.raises(Conflict) as refused:
        _send(tenant_a, run)
    assert "No HMRC gateway is set up" in refused.value.message
    with client_scope(clients=[tenant_a.client]):
        assert not run.rti_submissions.exists()


def test_while_schemas_are_required_and_missing_nothing_is_sent(tenant_a, run, settings, tmp_path):
    # given a working gateway but no HMRC schemas installed, and the default requirement
    gateway = StandIn([lambda s: _answer("response")])
    _configure(settings, gateway.url)
    settings.RTI_REQUIRE_SCHEMAS = True
    settings.RTI_SCHEMA_DIR = tmp_path / "empty"
    try:
        # when
        with pytest.raises(Conflict) as refused:
            _send(tenant_a, run)
        # then refused in words, and nothing reached HMRC or was kept
        assert refused.value.message == (
            f"{unchecked_words()}. Nothing is sent to HMRC until they are installed."
        )
        assert refused.value.code == "rti_unchecked"
        assert gateway.received == []
    finally:
        gateway.close()
    with client_scope(clients=[tenant_a.client]):
        assert not run.rti_submissions.exists()
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action__startswith="payroll.rti.").exists()
