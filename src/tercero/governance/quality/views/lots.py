"""Batch acceptance pages: the lots, a new lot from a batch reference, inspecting its
sample, and inspecting a held lot again after its rework."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.engagements.selectors import access_engagement, engagements
from tercero.delivery.work import registry
from tercero.governance.quality import iso2859, lots
from tercero.governance.quality.lots import LEVEL_WORDS
from tercero.governance.quality.models import Lot
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput, PermissionDenied
from tercero.platform.pages import page, refused, version_of
from tercero.web.lists import Column, Filter, Listing

EVALUATE, MANAGE = "quality:evaluate", "quality:manage"


def _require_quality_staff(caller: Caller) -> None:
    if not caller.permissions & {EVALUATE, MANAGE}:
        raise PermissionDenied("Batch acceptance is for quality analysts and managers.")


def _back_office_types() -> list[tuple[str, str]]:
    return [(t.key, t.title) for t in registry.all_types() if t.office == "back"]


@page(staff=True)
def lot_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    _require_quality_staff(caller)
    form = {"aql": "1.0", "level": "II", "reference": "", "engagement": "", "work_type": ""}
    if request.method == "POST":
        caller.require(MANAGE)
        form.update({k: request.POST.get(k, "").strip() for k in form})
        try:
            made = _create(caller, form)
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(request, f"Lot {made.reference} created: inspect its sample.")
            return redirect("quality:lot", made.pk)
    listing = Listing(
        request,
        lots.lots(client_ids=caller.client_ids),
        columns=[
            Column("reference", "Batch"),
            Column("engagement__name", "Engagement"),
            Column("size", "Items"),
            Column("sample_size", "Sample"),
            Column("defects", "Defects"),
            Column("status", "Decision", value=lambda row: row.get_status_display()),
            Column("created_at", "Created"),
        ],
        filters=[Filter("status", "Decision", tuple(Lot.Status.choices))],
        search=lambda found, q: found.filter(
            Q(reference__icontains=q) | Q(engagement__name__icontains=q)
        ),
    )
    if listing.wants_csv:
        return listing.csv_response("lots.csv")
    return render(
        request,
        "quality/lots.html",
        {
            "listing": listing,
            "form": form,
            "may_create": MANAGE in caller.permissions,
            "engagements": engagements(client_ids=caller.client_ids, office="back").order_by(
                "name"
            ),
            "work_types": _back_office_types(),
            "aqls": iso2859.AQLS,
            "levels": list(LEVEL_WORDS.items()),
        },
    )


def _create(caller: Caller, form: dict[str, str]) -> Lot:
    if not form["engagement"].isdigit():
        raise InvalidInput("Choose the engagement.", fields={"engagement": "required"})
    engagement = access_engagement(
        client_ids=caller.client_ids, engagement_id=int(form["engagement"])
    )
    return lots.create_lot(
        actor=caller.user,
        engagement=engagement,
        work_type=form["work_type"],
        aql=form["aql"],
        level=form["level"],
        reference=form["reference"],
    )


@page(staff=True)
def lot(request: HttpRequest, caller: Caller, lot_id: int) -> HttpResponse:
    found = lots.access_lot(client_ids=caller.client_ids, lot_id=lot_id)
    _require_quality_staff(caller)
    if request.method == "POST":
        _inspect(request, caller, found)
        return redirect("quality:lot", found.pk)
    inspections = lots.inspections_of(lot=found)
    sample = [(item_id, inspections.get(item_id)) for item_id in found.sampled_item_ids]
    return render(
        request,
        "quality/lots_detail.html",
        {
            "lot": found,
            "sample": sample,
            "inspected": len(inspections),
            "to_inspect": [item_id for item_id, done in sample if done is None],
            "level_words": LEVEL_WORDS.get(found.level, found.level),
            "may_reinspect": MANAGE in caller.permissions and found.status == Lot.Status.HELD,
        },
    )


def _inspect(request: HttpRequest, caller: Caller, found: Lot) -> None:
    raw = request.POST.get("item", "")
    verdict = request.POST.get("defective", "")
    try:
        if not raw.isdigit() or verdict not in ("0", "1"):
            raise InvalidInput(
                "Choose the item and whether it is defective.",
                fields={"item": "required", "defective": "yes or no"},
            )
        decided = lots.inspect_item(
            actor=caller.user,
            lot=found,
            source_item_id=int(raw),
            defective=verdict == "1",
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        refused(request, error)
    else:
        if decided.status != Lot.Status.INSPECTING:
            messages.success(request, decided.decision_note + ".")
        else:
            messages.success(request, f"Item {raw} recorded.")


@require_POST
@page(MANAGE, staff=True)
def lot_reinspect(request: HttpRequest, caller: Caller, lot_id: int) -> HttpResponse:
    found = lots.access_lot(client_ids=caller.client_ids, lot_id=lot_id)
    try:
        again = lots.reinspect(actor=caller.user, lot=found, version=version_of(request) or 0)
    except DomainError as error:
        refused(request, error)
        return redirect("quality:lot", found.pk)
    messages.success(request, "The reworked lot has a new sample to inspect.")
    return redirect("quality:lot", again.pk)
