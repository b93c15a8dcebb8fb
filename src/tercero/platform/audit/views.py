"""The audit trail for auditors and security officers: search it by person, client,
object, action and time, export it, and verify its chain from the page. Each view,
export and verification is itself an audit event."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.platform.api.caller import Caller
from tercero.platform.audit import checkpoints, selectors
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.audit.verify import (
    ChainReport,
    CheckpointFileError,
    load_checkpoints,
    verify_chain,
)
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.web.lists import Column, Listing

PROVIDER_WIDE = "provider"


class TrailSearch(forms.Form):
    person = forms.CharField(label="Person (name or e-mail)", max_length=200, required=False)
    client = forms.ChoiceField(label="Client", required=False)
    object_type = forms.CharField(label="Object type", max_length=100, required=False)
    object_id = forms.CharField(label="Object id", max_length=64, required=False)
    action = forms.CharField(
        label="Action", max_length=100, required=False, help_text="e.g. user. or grant.created"
    )
    since = forms.DateField(
        label="From (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To (UTC, inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        assert isinstance(client_field, forms.ChoiceField)
        client_field.choices = [("", "All I may see"), (PROVIDER_WIDE, "Provider-wide"), *clients]

    def criteria(self) -> dict[str, Any]:
        """The search as the selector takes it (empty when the form is not valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        chosen = data["client"]
        return {
            "person": data["person"].strip(),
            "client_id": int(chosen) if chosen and chosen != PROVIDER_WIDE else None,
            "provider_wide_only": chosen == PROVIDER_WIDE,
            "object_type": data["object_type"].strip(),
            "object_id": data["object_id"].strip(),
            "action": data["action"].strip(),
            "since": _midnight(data["since"]),
            "until": _midnight(data["until"], days=1),
        }


def _midnight(day: date | None, *, days: int = 0) -> datetime | None:
    return None if day is None else datetime.combine(day + timedelta(days=days), time(0), UTC)


def _clients(caller: Caller) -> list[tuple[str, str]]:
    found = Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    return [(str(client.pk), client.legal_name) for client in found]


def _events(caller: Caller, criteria: dict[str, Any]) -> QuerySet[AuditEvent]:
    return selectors.trail(
        client_ids=caller.client_ids,
        include_provider_wide=caller.user.is_provider_staff,
        **criteria,
    )


def action_words(action: str) -> str:
    """'user.deactivated' -> 'User deactivated'."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def _listing(request: HttpRequest, found: QuerySet[AuditEvent]) -> Listing:
    return Listing(
        request,
        found,
        columns=[
            Column("sequence", "Event"),
            Column("occurred_at", "When (UTC)"),
            Column("actor_label", "Person"),
            Column("client__legal_name", "Client", value=lambda e: e.client or "Provider-wide"),
            Column("action", "Action", value=lambda e: action_words(e.action)),
            Column("object_type", "Object", value=lambda e: _object_words(e)),
            Column("reason", "Reason", sortable=False),
            Column("ip", "From address", sortable=False),
        ],
        default_sort="-sequence",
    )


def _rows(listing: Listing) -> list[dict[str, Any]]:
    return [
        {"event": event, "action": action_words(event.action), "object": _object_words(event)}
        for event in listing.rows
    ]


def _object_words(event: AuditEvent) -> str:
    kind = event.object_type.replace("_", " ")
    return f"{kind} {event.object_id}".strip()


@page("audit:read", staff=True)
def trail(request: HttpRequest, caller: Caller) -> HttpResponse:
    form = TrailSearch(request.GET or None, clients=_clients(caller))
    criteria = form.criteria()
    # provider-wide events are in no client's scope: read the trail across clients,
    # narrowed to the caller's own clients by the selector
    with all_clients_scope():
        listing = _listing(request, _events(caller, criteria))
        if listing.wants_csv:
            response = listing.csv_response("audit-trail.csv")
            _audit_reading(caller, "audit.trail.exported", criteria, rows=listing.queryset.count())
            return response
        response = render(
            request,
            "audit/trail.html",
            {"form": form, "listing": listing, "rows": _rows(listing)},
        )
        _audit_reading(caller, "audit.trail.viewed", criteria, page=listing.page.number)
    return response


def _audit_reading(caller: Caller, action: str, criteria: dict[str, Any], **more: int) -> None:
    searched = {key: str(value) for key, value in criteria.items() if value}
    record(
        action=action,
        actor=caller.user,
        client=criteria.get("client_id"),
        object_type="audit_trail",
        payload={"search": searched, **more},
    )


@require_POST
@page("audit:read", staff=True)
def verify(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Walk the whole chain against the signed checkpoints and say what was found."""
    path = checkpoints.file_path()
    try:
        pins = load_checkpoints(path)
    except CheckpointFileError as error:
        text = f"The checkpoint file cannot be trusted ({error}); the chain was not checked."
        _record_verification(caller, intact=False, checked=0, first_broken=None)
        messages.error(request, text)
        return redirect("audit:trail")
    report = verify_chain(pins=pins)
    _record_verification(
        caller,
        intact=report.is_intact,
        checked=report.checked,
        first_broken=report.first_broken_sequence,
    )
    if report.is_intact:
        messages.success(request, _intact_words(report))
    else:
        messages.error(request, _broken_words(caller, report))
    return redirect("audit:trail")


def _record_verification(
    caller: Caller, *, intact: bool, checked: int, first_broken: int | None
) -> None:
    record(
        action="audit.chain.verified",
        actor=caller.user,
        object_type="audit_trail",
        payload={"intact": intact, "checked": checked, "first_broken_sequence": first_broken},
    )


def _intact_words(report: ChainReport) -> str:
    text = f"The audit trail is intact: all {report.checked:,} events verified"
    if report.checkpoints:
        return text + f", and they match {report.checkpoints:,} signed checkpoints."
    return text + ". No signed checkpoint exists yet, so deleted newest events would not show."


def _broken_words(caller: Caller, report: ChainReport) -> str:
    sequence = report.first_broken_sequence
    with all_clients_scope():
        event = selectors.event_at(sequence=sequence) if sequence is not None else None
    visible = event is not None and (
        event.client_id in caller.client_ids
        or (event.client_id is None and caller.user.is_provider_staff)
    )
    if event is not None and visible:
        when = event.occurred_at.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")
        named = (
            f"event {sequence:,} ({action_words(event.action)}, by "
            f"{event.actor_label or 'the system'}, {when})"
        )
    elif event is not None:
        named = f"event {sequence:,}, which belongs to a client you cannot see"
    else:
        named = f"event {sequence:,}, which is missing"
    return (
        f"The audit trail has been altered. The first altered event is {named}: "
        f"{report.problem}. The {report.checked:,} events before it are intact."
    )
