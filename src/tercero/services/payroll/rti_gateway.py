"""Sending RTI documents to HMRC's gateway (the Transaction Engine's document submission
protocol) and keeping HMRC's answer on the run.

Settings (config/settings.py, from the environment): `RTI_GATEWAY_URL` (HMRC's
submission endpoint, or a stand-in), `RTI_SENDER_ID` and `RTI_SENDER_PASSWORD` (the
Government Gateway credentials, never stored), `RTI_GATEWAY_TEST` (GatewayTest=1 on
every message), `RTI_GATEWAY_TIMEOUT` and `RTI_POLL_LIMIT`. While `RTI_REQUIRE_SCHEMAS` is true (the
default) a document HMRC's installed schemas did not check is refused before anything
is sent (rti_schemas.py).

A document is sent at most once while it is being sent or once accepted: the
submission row is written first, under a unique constraint on what it reports, then
posted; HMRC's acknowledgement is polled until the answer (accepted, or an error with
HMRC's words). After an error a corrected document may be sent again.
"""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from lxml import etree

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict
from tercero.services.payroll import rti, rti_schemas
from tercero.services.payroll.models import RtiSubmission

NS = rti.ENVELOPE_NS


@dataclass(frozen=True)
class Config:
    url: str
    sender_id: str
    password: str
    test: bool
    timeout: float
    poll_limit: int


@dataclass(frozen=True)
class Answer:
    accepted: bool
    message: str
    correlation_id: str = ""


def config() -> Config:
    url = getattr(settings, "RTI_GATEWAY_URL", "")
    sender = getattr(settings, "RTI_SENDER_ID", "")
    password = getattr(settings, "RTI_SENDER_PASSWORD", "")
    if not url or not sender or not password:
        raise Conflict(
            "No HMRC gateway is set up: set TERCERO_RTI_URL, TERCERO_RTI_SENDER_ID and "
            "TERCERO_RTI_PASSWORD (docs/payroll.md).",
            code="no_rti_gateway",
        )
    return Config(
        url=url,
        sender_id=sender,
        password=password,
        test=bool(getattr(settings, "RTI_GATEWAY_TEST", True)),
        timeout=float(getattr(settings, "RTI_GATEWAY_TIMEOUT", 30)),
        poll_limit=int(getattr(settings, "RTI_POLL_LIMIT", 10)),
    )


def submit(*, actor, document: rti.Document, client_id: int) -> RtiSubmission:
    """Send `document` and keep HMRC's answer. Refused (409) when the same return is
    already accepted or being sent, or while HMRC's schemas for its year are required
    and not installed."""
    if not document.is_checked and rti_schemas.is_required():
        raise Conflict(rti_schemas.refusal(document.tax_year), code="rti_unchecked")
    settings_now = config()
    with transaction.atomic():
        _refuse_repeat(client_id=client_id, key=document.key)
        try:
            with transaction.atomic():
                submission = RtiSubmission.objects.create(
                    client_id=client_id,
                    key=document.key,
                    kind=document.kind,
                    run_id=document.run_id,
                    pay_group_id=document.pay_group_id,
                    tax_year=document.tax_year,
                    schema=document.schema,
                    document=document.xml.decode("utf-8"),
                    submitted_by=actor,
                )
        except IntegrityError:
            raise Conflict(
                "This return is already being sent to HMRC.", code="rti_in_flight"
            ) from None
        record(
            action="payroll.rti.sent",
            actor=actor,
            client=client_id,
            object_type="pay_run" if document.run_id else "pay_group",
            object_id=document.run_id or document.pay_group_id,
            payload={"kind": document.kind, "key": document.key, "submission": submission.pk},
        )
    answer = exchange(settings_now, document.xml)
    with transaction.atomic():
        RtiSubmission.objects.filter(pk=submission.pk).update(
            status=RtiSubmission.Status.ACCEPTED if answer.accepted else RtiSubmission.Status.ERROR,
            answer=answer.message[:4000],
            correlation_id=answer.correlation_id[:32],
            answered_at=timezone.now(),
        )
        record(
            action="payroll.rti.accepted" if answer.accepted else "payroll.rti.refused",
            actor=actor,
            client=client_id,
            object_type="pay_run" if document.run_id else "pay_group",
            object_id=document.run_id or document.pay_group_id,
            payload={"submission": submission.pk, "answer": answer.message[:500]},
        )
    submission.refresh_from_db()
    return submission


def _refuse_repeat(*, client_id: int, key: str) -> None:
    found = (
        RtiSubmission.objects.filter(client_id=client_id, key=key)
        .filter(status__in=[RtiSubmission.Status.ACCEPTED, RtiSubmission.Status.SENDING])
        .first()
    )
    if found is None:
        return
    if found.status == RtiSubmission.Status.ACCEPTED:
        raise Conflict(
            f"HMRC accepted this return on {timezone.localtime(found.answered_at):%d %b %Y %H:%M}; "
            "it is not sent again (corrections go in a later FPS).",
            code="rti_accepted",
        )
    raise Conflict("This return is already being sent to HMRC.", code="rti_in_flight")


# --- the Transaction Engine's protocol -----------------------------------------------------


def with_credentials(xml: bytes, gateway: Config) -> bytes:
    """The stored message with the sender's credentials (and GatewayTest) added."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    header = root.find(f"{{{NS}}}Header")
    message = header.find(f"{{{NS}}}MessageDetails")
    if gateway.test:
        etree.SubElement(message, f"{{{NS}}}GatewayTest").text = "1"
    sender = etree.SubElement(header, f"{{{NS}}}SenderDetails")
    identity = etree.SubElement(sender, f"{{{NS}}}IDAuthentication")
    etree.SubElement(identity, f"{{{NS}}}SenderID").text = gateway.sender_id
    authentication = etree.SubElement(identity, f"{{{NS}}}Authentication")
    etree.SubElement(authentication, f"{{{NS}}}Method").text = "clear"
    etree.SubElement(authentication, f"{{{NS}}}Role").text = "principal"
    etree.SubElement(authentication, f"{{{NS}}}Value").text = gateway.password
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def poll_message(*, message_class: str, correlation_id: str, test: bool) -> bytes:
    root = etree.Element(f"{{{NS}}}GovTalkMessage", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}EnvelopeVersion").text = "2.0"
    details = etree.SubElement(etree.SubElement(root, f"{{{NS}}}Header"), f"{{{NS}}}MessageDetails")
    for name, text in (
        ("Class", message_class),
        ("Qualifier", "poll"),
        ("Function", "submit"),
        ("CorrelationID", correlation_id),
        ("Transformation", "XML"),
    ):
        etree.SubElement(details, f"{{{NS}}}{name}").text = text
    if test:
        etree.SubElement(details, f"{{{NS}}}GatewayTest").text = "1"
    etree.SubElement(root, f"{{{NS}}}GovTalkDetails")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def exchange(gateway: Config, xml: bytes) -> Answer:
    """Post the document, then poll HMRC's acknowledgement until the answer."""
    message_class = etree.fromstring(xml).findtext(f".//{{{NS}}}Class") or ""
    try:
        reply = _post(gateway.url, with_credentials(xml, gateway), gateway.timeout)
        for _attempt in range(gateway.poll_limit):
            qualifier, correlation, endpoint, interval = _read(reply)
            if qualifier != "acknowledgement":
                return _answer(reply, qualifier, correlation)
            time.sleep(min(interval, 2.0) if gateway.test else interval)
            reply = _post(
                endpoint or gateway.url,
                poll_message(
                    message_class=message_class, correlation_id=correlation, test=gateway.test
                ),
                gateway.timeout,
            )
        return Answer(False, "HMRC had not answered after polling; check again later.", correlation)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Answer(False, f"HMRC's gateway could not be reached: {reason}.")
    except etree.XMLSyntaxError:
        return Answer(
            False, "HMRC's gateway answered with something that is not a GovTalk message."
        )


def _post(url: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        text = error.read()
        if text.lstrip().startswith(b"<"):
            return text  # a GovTalk error answer with an HTTP error status
        raise


def _read(reply: bytes) -> tuple[str, str, str, float]:
    root = etree.fromstring(reply, etree.XMLParser(resolve_entities=False, no_network=True))
    details = root.find(f"{{{NS}}}Header/{{{NS}}}MessageDetails")
    if details is None:
        raise etree.XMLSyntaxError("no MessageDetails", None, 0, 0, "")
    endpoint = details.find(f"{{{NS}}}ResponseEndPoint")
    interval = float(endpoint.get("PollInterval", "1")) if endpoint is not None else 1.0
    return (
        details.findtext(f"{{{NS}}}Qualifier") or "",
        details.findtext(f"{{{NS}}}CorrelationID") or "",
        (endpoint.text or "").strip() if endpoint is not None else "",
        interval,
    )


def _answer(reply: bytes, qualifier: str, correlation: str) -> Answer:
    root = etree.fromstring(reply, etree.XMLParser(resolve_entities=False, no_network=True))
    errors = [
        " ".join(text.split())
        for text in root.xpath("//*[local-name()='Error']/*[local-name()='Text']/text()")
    ]
    if qualifier == "response" and not errors:
        return Answer(True, "Accepted by HMRC.", correlation)
    said = "; ".join(errors) or f"HMRC answered '{qualifier}' without saying why."
    return Answer(False, f"HMRC refused it: {said}", correlation)
