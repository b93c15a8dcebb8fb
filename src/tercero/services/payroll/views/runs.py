"""Payroll pages, mounted at /payroll/: pay runs (list, the run page with inputs,
variance review, approval and downloads), its panel on the work item page, and the
employees list. Provider staff prepare and finalise; the client's admins review and
approve the same run page in the portal."""

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.pages import page, refused, version_of
from tercero.services.payroll import actions, lifecycle, outputs, runs, selectors
from tercero.services.payroll import groups as pay_groups
from tercero.services.payroll.models import PayResult, PayRun
from tercero.web.lists import Column, Filter, Listing

FLAGS = (
    ("net_moved", "Net pay moved"),
    ("new_joiner", "New joiner"),
    ("leaver", "Leaver"),
    ("negative_net", "Negative net"),
    ("held", "Held (not calculated)"),
    ("tax_not_deducted", "Tax not deducted (50 % limit)"),
    ("below_minimum_wage", "Below the minimum wage"),
)


@page("payroll:read")
def run_list(request, caller):
    found = selectors.runs(client_ids=caller.client_ids).select_related(
        "pay_group", "pay_group__client"
    )
    listing = Listing(
        request,
        found,
        columns=[
            Column("pay_date", "Pay date"),
            Column("pay_group__name", "Pay group"),
            Column("pay_group__client__legal_name", "Client"),
            Column("period", "Period"),
            Column("kind", "Kind"),
            Column("status", "Status"),
            Column("employees_total", "Employees"),
            Column(
                "net_minor",
                "Net pay",
                value=lambda run: outputs.amount_text(run.net_minor, run.pay_group.currency),
            ),
            Column("flagged", "Flagged"),
        ],
        filters=[
            Filter("status", "Status", tuple(PayRun.Status.choices)),
            Filter("kind", "Kind", tuple(PayRun.Kind.choices)),
        ],
        search=lambda qs, text: qs.filter(pay_group__name__icontains=text),
        search_label="Search pay groups",
        default_sort="-pay_date",
    )
    if listing.wants_csv:
        return listing.csv_response("pay-runs.csv")
    groups = (
        selectors.pay_groups(client_ids=caller.client_ids).select_related("client")
        if "payroll:write" in caller.permissions
        else []
    )
    due = [(g, period) for g in groups if (period := pay_groups.next_period(g)) is not None]
    return render(request, "payroll/runs.html", {"listing": listing, "groups": groups, "due": due})


@page("payroll:write", staff=True)
def run_new(request, caller):
    if request.method != "POST":
        return redirect("payroll:runs")
    try:
        group = selectors.access_pay_group(
            client_ids=caller.client_ids, pay_group_id=_int(request.POST.get("pay_group"))
        )
        run = runs.create_run(
            actor=request.user,
            pay_group=group,
            period_start=_date(request.POST.get("period_start"), "period_start"),
            period_end=_date(request.POST.get("period_end"), "period_end"),
            pay_date=_date(request.POST.get("pay_date"), "pay_date"),
            kind=request.POST.get("kind") or PayRun.Kind.REGULAR,
        )
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:runs")
    messages.success(request, "Pay run created; import inputs, then calculate.")
    return redirect("payroll:run", run.pk)


def _int(value) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise NotFound("Pay group not found.") from None
    if not 0 < number < 2**62:
        raise NotFound("Pay group not found.")
    return number


def _date(value, field: str):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("Give a date.", fields={field: "YYYY-MM-DD"}) from None


def _run_context(request, caller, run: PayRun) -> dict:
    flag = request.GET.get("flag", "")
    flagged = list(PayResult.objects.filter(run=run).exclude(flags=[]).select_related("employee"))
    counts: dict[str, int] = {}
    for result in flagged:
        for name in result.flags:
            counts[name] = counts.get(name, 0) + 1
    if flag == "any" or flag in counts:
        shown = [r for r in flagged if flag == "any" or flag in r.flags][:200]
    elif flag in dict(FLAGS):
        shown = []
    else:
        shown = list(PayResult.objects.filter(run=run).select_related("employee")[:200])
    for result in shown:  # the review's words: tax held back, pay below the minimum wage
        result.notes = outputs.review_notes(result.basis, run.pay_group.currency)
    user = request.user
    currency = run.pay_group.currency
    return {
        "run": run,
        "currency": currency,
        "rows": [
            (
                r,
                outputs.amount_text(r.gross_minor, currency),
                outputs.amount_text(r.net_minor, currency),
                [dict(FLAGS).get(name, name.replace("_", " ").capitalize()) for name in r.flags],
            )
            for r in shown
        ],
        "flag": flag,
        "flags": [(key, label, counts.get(key, 0)) for key, label in FLAGS],
        "totals": {
            "gross": outputs.amount_text(run.gross_minor, currency),
            "deductions": outputs.amount_text(run.deductions_minor, currency),
            "net": outputs.amount_text(run.net_minor, currency),
            "employer": outputs.amount_text(run.employer_minor, currency),
        },
        **_progress(run),
        "actions": runs.actions(run),
        "takes_inputs": lifecycle.allows(lifecycle.RUN, "import_inputs", run.status),
        "may_prepare": user.is_provider_staff and "payroll:write" in caller.permissions,
        "may_approve": (not user.is_provider_staff) and "payroll:approve" in caller.permissions,
        "input_names": sorted(runs.importable_inputs(run)),
        # builds the bank file to read its control sum back: on request, not on every view
        "reconciliation": outputs.reconciliation(run)
        if run.status == PayRun.Status.FINALISED and request.GET.get("reconcile")
        else None,
        "inputs_count": run.inputs.count(),
        "rules_in_force": _rules_in_force(run),
    }


def _rules_in_force(run: PayRun) -> int | None:
    """The pay group's newest rule version when it is newer than the one this run was
    calculated with and the run can still be calculated again (else None)."""
    if run.status not in (PayRun.Status.CALCULATED, PayRun.Status.SUBMITTED):
        return None
    newest = selectors.newest_rule_number(run.pay_group)
    return newest if newest and newest > run.rules_version else None


@page("payroll:read")
def run_page(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    if request.headers.get("HX-Request"):  # the progress bar polling while it calculates
        if run.status == PayRun.Status.CALCULATING:
            return render(request, "payroll/_progress.html", {"run": run, **_progress(run)})
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "payroll/run.html", _run_context(request, caller, run))


def _progress(run: PayRun) -> dict:
    total = run.employees_total
    return {"percent": int(100 * run.employees_done / total) if total else 0}


@page("payroll:read", staff=True)
def run_panel(request, caller, item_id: int):
    run = selectors.run_of_item(client_ids=caller.client_ids, item_id=item_id)
    return render(request, "payroll/_panel.html", {"run": run})


@page("payroll:write", staff=True)
def run_inputs(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    upload = request.FILES.get("file")
    if request.method != "POST" or upload is None:
        messages.error(request, "Choose a CSV file of inputs.")
        return redirect("payroll:run", run.pk)
    try:
        report = runs.import_inputs(actor=request.user, run=run, data=upload.read())
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:run", run.pk)
    if report.errors:
        listed = "; ".join(f"line {ln}, {col}: {why}" for ln, col, why in report.errors[:50])
        messages.error(request, f"Nothing imported: {len(report.errors)} problems. {listed}")
    else:
        messages.success(request, f"{report.stored} inputs from {report.rows} rows imported.")
    return redirect("payroll:run", run.pk)


DONE = {
    "submit": "Sent to the client for approval.",
    "approve": "Approved.",
    "send_back": "Sent back to the payroll team.",
    "finalise": "Finalised: payslips are being e-mailed; the bank file can be released.",
    "cancel": "Cancelled.",
}


@page("payroll:read")
def run_action(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    if request.method != "POST":
        return redirect("payroll:run", run.pk)
    action = request.POST.get("action", "")
    if action not in actions.RUN_ACTIONS:
        messages.error(request, "Unknown action.")
        return redirect("payroll:run", run.pk)
    try:
        caller.require(actions.run_permission(action))
        run = actions.act_on_run(
            actor=request.user,
            run=run,
            action=action,
            version=version_of(request),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:run", run.pk)
    if action == "calculate":
        done = "Calculated." if run.employees_total <= runs.INLINE_LIMIT else "Calculating."
    else:
        done = DONE[action]
    messages.success(request, done)
    return redirect("payroll:run", run.pk)


@page("payroll:read")
def run_download(request, caller, run_id: int, kind: str):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    if run.status in (PayRun.Status.DRAFT, PayRun.Status.CALCULATING):
        messages.error(request, "Calculate the run first.")
        return redirect("payroll:run", run.pk)
    if kind == "bank":
        caller.require("payroll:write")
        try:
            name, content = outputs.bank_file(run=run, actor=request.user)
        except DomainError as error:
            refused(request, error)
            return redirect("payroll:run", run.pk)
        response = HttpResponse(content, content_type="application/octet-stream")
    else:
        name = f"run-{run.pk}-{kind}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        if kind == "register":
            outputs.write_register(run, response)
        else:
            outputs.write_journal(run, response)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page("payroll:read")
def payslip(request, caller, run_id: int, employee_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    result = selectors.access_result(run=run, employee_id=employee_id)
    try:
        pdf = outputs.payslip_pdf(result=result, run=run, actor=request.user)
    except DomainError as error:
        refused(request, error)
        return redirect("payroll:run", run.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    number = result.employee.employee_number
    response["Content-Disposition"] = f'attachment; filename="payslip-{number}-{run.pay_date}.pdf"'
    return response


@page("payroll:read")
def employee_list(request, caller):
    found = selectors.employees(client_ids=caller.client_ids).select_related("client")
    listing = Listing(
        request,
        found,
        columns=[
            Column("employee_number", "Number"),
            Column("client__legal_name", "Client"),
            Column("country", "Country"),
            Column("tax_code", "Tax code"),
            Column("ni_category", "NI category"),
            Column("created_at", "Added"),
        ],
        filters=[
            Filter(
                "country",
                "Country",
                tuple((c, c) for c in sorted(set(found.values_list("country", flat=True)))),
            )
        ],
        search=lambda qs, text: qs.filter(employee_number__icontains=text),
        search_label="Search employee numbers",
        default_sort="employee_number",
    )
    if listing.wants_csv:
        return listing.csv_response("employees.csv")
    return render(request, "payroll/employees.html", {"listing": listing})
