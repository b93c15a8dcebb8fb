"""The do-not-call page: the reachable clients' entries, registry imports and consent
records; add a number (the client's or the provider's list), import a registry file,
record consent, remove a hand-added entry."""

from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, InvalidInput
from tercero.platform.pages import page, refused
from tercero.platform.tenancy.models import Client
from tercero.services.outbound import consent, dnc, selectors
from tercero.services.outbound.models import Consent, DncEntry, RegistryImport

MANAGE = "outbound:manage"


def _client(request, caller) -> int:
    chosen = request.POST.get("client", "")
    if not chosen.isdigit() or int(chosen) not in caller.client_ids:
        raise InvalidInput("Choose the client.", fields={"client": "required"})
    return int(chosen)


def _act(request, caller) -> str:
    action = request.POST.get("action", "")
    client_id = _client(request, caller)
    if action == "add":
        scope = request.POST.get("scope", "client")
        others = [c for c in caller.client_ids if c != client_id]
        added = dnc.add_number(
            actor=caller.user,
            client_ids=[client_id, *others],
            number=request.POST.get("number", ""),
            scope=scope,
            region=request.POST.get("region", "US")[:2].upper(),
        )
        return f"The number is on the list ({added} client list(s) gained it)."
    if action == "registry":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Choose the registry file.", fields={"file": "required"})
        row = dnc.import_registry(
            actor=caller.user,
            client_id=client_id,
            kind=request.POST.get("kind", ""),
            file_name=upload.name,
            text=dnc.read_upload(upload),
        )
        return (
            f"{row.rows} numbers imported from {row.file_name}; "
            f"{row.rows_rejected} lines unreadable."
        )
    if action == "consent":
        try:
            obtained = datetime.fromisoformat(request.POST.get("obtained_at", ""))
        except ValueError:
            raise InvalidInput(
                "Give the date consent was obtained.", fields={"obtained_at": "a date"}
            ) from None
        if timezone.is_naive(obtained):
            obtained = timezone.make_aware(obtained)
        consent.record_consent(
            actor=caller.user,
            client_id=client_id,
            number=request.POST.get("number", ""),
            source=request.POST.get("source", ""),
            obtained_at=obtained,
            scope=request.POST.get("scope", "calls"),
            evidence=request.POST.get("evidence", ""),
            region=request.POST.get("region", "US")[:2].upper(),
        )
        return "Consent recorded."
    raise InvalidInput("Unknown action.", fields={"action": "add, registry or consent"})


@page(MANAGE, staff=True)
def dnc_page(request, caller):
    if request.method == "POST":
        try:
            done = _act(request, caller)
        except DomainError as refusal:
            refused(request, refusal)
        else:
            messages.success(request, done)
        return redirect("outbound:dnc")
    return render(
        request,
        "outbound/dnc.html",
        {
            "clients": Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"),
            "entries": selectors.dnc_entries(client_ids=caller.client_ids).select_related("client")[
                :200
            ],
            "imports": selectors.registry_imports(client_ids=caller.client_ids)[:50],
            "consents": selectors.consents(client_ids=caller.client_ids)[:100],
            "kinds": RegistryImport.Kind.choices,
            "scopes": DncEntry.Scope.choices,
            "consent_scopes": Consent.Scope.choices,
        },
    )


@require_POST
@page(MANAGE, staff=True)
def dnc_remove(request, caller, entry_id: int):
    entry = selectors.access_dnc_entry(client_ids=caller.client_ids, entry_id=entry_id)
    try:
        dnc.remove_entry(actor=caller.user, entry=entry)
    except DomainError as refusal:
        refused(request, refusal)
    else:
        messages.success(
            request, "The entry was removed; leads with the number were scrubbed again."
        )
    return redirect("outbound:dnc")
