"""Calibration pages: sessions, a new session, scoring its items blind, closing it and
reading its agreement figures."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.delivery.work import selectors as work
from tercero.governance.quality import calibration, scorecards, selectors
from tercero.governance.quality.models import CalibrationSession
from tercero.platform.api.caller import Caller
from tercero.platform.errors import DomainError, InvalidInput, PermissionDenied
from tercero.platform.identity.models import User
from tercero.platform.pages import page, refused, version_of
from tercero.platform.tenancy.scoping import all_clients_scope

EVALUATE, MANAGE = "quality:evaluate", "quality:manage"
SCALE_CHOICES = {
    "yes_no": [("1", "Yes"), ("0", "No")],
    "one_to_five": [(str(n), str(n)) for n in range(1, 6)],
}


def _require_quality_staff(caller: Caller) -> None:
    if not caller.permissions & {EVALUATE, MANAGE}:
        raise PermissionDenied("Calibration is for quality analysts and managers.")


def _ids(text: str) -> list[int]:
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    if not all(p.isdigit() and 0 < int(p) < 2**62 for p in parts):
        raise InvalidInput("Give item numbers separated by commas.", fields={"items": "numbers"})
    return [int(p) for p in parts]


def _analysts(caller: Caller) -> list[User]:
    with all_clients_scope():
        people = User.objects.filter(
            is_active=True, grants__client_id__in=caller.client_ids, client__isnull=True
        ).distinct()
        return sorted((u for u in people if EVALUATE in u.permissions), key=lambda u: u.full_name)


@page(staff=True)
def session_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    _require_quality_staff(caller)
    form: dict[str, Any] = {"name": "", "version": "", "items": "", "analysts": [], "reference": ""}
    if request.method == "POST":
        caller.require(MANAGE)
        form = {
            "name": request.POST.get("name", ""),
            "version": request.POST.get("version", ""),
            "items": request.POST.get("items", ""),
            "analysts": request.POST.getlist("analysts"),
            "reference": request.POST.get("reference", ""),
        }
        try:
            made = _create(caller, form)
        except DomainError as error:
            refused(request, error)
        else:
            messages.success(request, f"Session {made.name} opened: analysts score blind.")
            return redirect("quality:calibration_session", made.pk)
    versions = [
        selectors.current_version(scorecard=card)
        for card in selectors.scorecards(client_ids=caller.client_ids).select_related("engagement")
    ]
    return render(
        request,
        "quality/calibration.html",
        {
            "sessions": calibration.sessions(client_ids=caller.client_ids)[:100],
            "form": form,
            "may_create": MANAGE in caller.permissions,
            "versions": versions,
            "analysts": _analysts(caller) if MANAGE in caller.permissions else [],
        },
    )


def _create(caller: Caller, form: dict[str, Any]) -> CalibrationSession:
    if not str(form["version"]).isdigit() or not str(form["reference"]).isdigit():
        raise InvalidInput(
            "Choose the scorecard and the reference analyst.",
            fields={"version": "required", "reference": "required"},
        )
    version = selectors.access_version(
        client_ids=caller.client_ids, version_id=int(form["version"])
    )
    return calibration.create_session(
        actor=caller.user,
        scorecard_version=version,
        name=form["name"],
        source_item_ids=_ids(form["items"]),
        analyst_ids=[int(a) for a in form["analysts"] if a.isdigit()],
        reference_analyst_id=int(form["reference"]),
    )


@page(staff=True)
def session(request: HttpRequest, caller: Caller, session_id: int) -> HttpResponse:
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    _require_quality_staff(caller)
    definition = found.scorecard_version.definition
    mine = {
        s.source_item_id: s.scores
        for s in calibration.visible_scores(session=found, user=caller.user)
        if s.analyst_id == caller.user.pk
    }
    items = {
        i.pk: i
        for i in work.items(client_ids=caller.client_ids).filter(pk__in=found.source_item_ids)
    }
    with all_clients_scope():
        names = dict(User.objects.filter(pk__in=found.analyst_ids).values_list("pk", "full_name"))
    return render(
        request,
        "quality/calibration_session.html",
        {
            "session": found,
            "is_analyst": caller.user.pk in found.analyst_ids,
            "forms": [
                _item_form(definition, item_id, items.get(item_id), mine.get(item_id))
                for item_id in found.source_item_ids
            ],
            "progress": [
                (names.get(a, f"Analyst {a}"), n)
                for a, n in calibration.progress(session=found).items()
            ],
            "results": _results(found, names),
            "may_close": MANAGE in caller.permissions and found.status == "open",
        },
    )


def _item_form(definition: dict, item_id: int, item: Any, given: dict | None) -> dict[str, Any]:
    criteria = []
    for c in scorecards.criteria_of(definition):
        choices = SCALE_CHOICES.get(c["scale"], [])
        value = None if given is None else given.get(c["key"])
        criteria.append(
            {
                "key": c["key"],
                "label": c["label"],
                "choices": choices,
                "max_points": c.get("max_points"),
                "allows_na": c.get("allows_na"),
                "given": "" if value is None else f"{value:g}",
                "is_na": given is not None and value is None,
            }
        )
    title = item.title if item is not None else f"Item {item_id}"
    return {"item_id": item_id, "title": title, "criteria": criteria, "done": given is not None}


def _results(found: CalibrationSession, names: dict[int, str]) -> dict[str, Any] | None:
    if not found.results:
        return None
    analysts = [
        {**row, "name": names.get(row["analyst_id"], f"Analyst {row['analyst_id']}")}
        for row in found.results["analysts"]
    ]
    return {**found.results, "analysts": analysts}


@require_POST
@page(staff=True)
def session_score(request: HttpRequest, caller: Caller, session_id: int) -> HttpResponse:
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    _require_quality_staff(caller)
    raw_item = request.POST.get("item", "")
    try:
        if not raw_item.isdigit():
            raise InvalidInput("Choose the item.", fields={"item": "required"})
        scores = _posted_scores(request, found.scorecard_version.definition)
        calibration.submit_scores(
            actor=caller.user, session=found, source_item_id=int(raw_item), scores=scores
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, f"Your scores of item {raw_item} are saved.")
    return redirect("quality:calibration_session", found.pk)


def _posted_scores(request: HttpRequest, definition: dict) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for c in scorecards.criteria_of(definition):
        raw = request.POST.get(f"score-{c['key']}", "").strip()
        if raw == "na":
            scores[c["key"]] = None
            continue
        try:
            scores[c["key"]] = float(raw) if "." in raw else int(raw)
        except ValueError:
            raise InvalidInput(
                f"Score “{c['label']}”.", fields={f"score-{c['key']}": "required"}
            ) from None
    return scores


@require_POST
@page(MANAGE, staff=True)
def session_close(request: HttpRequest, caller: Caller, session_id: int) -> HttpResponse:
    found = calibration.access_session(client_ids=caller.client_ids, session_id=session_id)
    try:
        calibration.close_session(
            actor=caller.user, session=found, version=version_of(request) or 0
        )
    except DomainError as error:
        refused(request, error)
    else:
        messages.success(request, "Session closed: the agreement figures are below.")
    return redirect("quality:calibration_session", found.pk)
