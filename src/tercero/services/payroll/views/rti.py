"""United Kingdom filing pages: a finalised run's RTI submission (HMRC's answers, the
check of its FPS in words, the XML, sending it after a confirm step, for the payroll
lead and the provider admin; the EPS claiming back the statutory pay of its tax month),
a pay group's PAYE references (and Small Employers' Relief) and no-payment EPS, and the
P45 and P60 of employees as PDF and CSV."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tercero.platform.errors import DomainError, NotFound
from tercero.platform.pages import page, version_of
from tercero.services.payroll import outputs, p45p60, rti, rti_figures, rti_filing, selectors
from tercero.services.payroll.models import Employee, PayGroup, PayRun, RtiPerson, RtiSubmission

BADGES = {
    RtiSubmission.Status.ACCEPTED: "ok",
    RtiSubmission.Status.ERROR: "bad",
    RtiSubmission.Status.SENDING: "warn",
}


def _say(request, error: DomainError) -> None:
    """A refusal in the service's own words (their lists are already in the message)."""
    messages.error(request, error.message)


def _may_file(request, caller) -> bool:
    return request.user.is_provider_staff and "payroll:file" in caller.permissions


def _rows(found) -> list[tuple[RtiSubmission, str]]:
    return [(submission, BADGES.get(submission.status, "")) for submission in found]


@page("payroll:read")
def run_rti(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    is_uk = run.pay_group.jurisdiction == "GB"
    finalised = run.status == PayRun.Status.FINALISED
    wants_check = run.employees_total <= rti_filing.CHECK_INLINE_LIMIT or "check" in request.GET
    check = rti_filing.check_fps(run) if is_uk and finalised and wants_check else None
    accepted = rti_filing.is_accepted(run)
    may_file = _may_file(request, caller)
    context = {
        "run": run,
        "is_uk": is_uk,
        "finalised": finalised,
        "check": check,
        "accepted": accepted,
        "submissions": _rows(rti_filing.submissions(run=run)),
        "may_file": may_file,
        "may_download": request.user.is_provider_staff and "payroll:write" in caller.permissions,
        "confirming": may_file
        and bool(check and check.is_ready)
        and not accepted
        and request.GET.get("confirm") == "1",
        "net": outputs.amount_text(run.net_minor, run.pay_group.currency),
        "tax_month": rti_figures.tax_month(run.pay_date),
        "recovery": _recovery(run) if is_uk and finalised else None,
    }
    return render(request, "payroll/rti.html", context)


def _recovery(run: PayRun) -> dict:
    """The run's tax month's statutory-pay recovery EPS: the latest sent and its claim."""
    month = rti_figures.tax_month(run.pay_date)
    sent = rti_filing.recovery_sent(pay_group=run.pay_group, tax_year=run.tax_year, month=month)
    claim = rti_filing.claim_of(sent.document, tax_year=sent.tax_year) if sent else None
    return {
        "month": month,
        "sent": sent,
        "badge": BADGES.get(sent.status, "") if sent else "",
        "claim": claim.sentence("Claims back") if claim else "",
    }


@page("payroll:write", staff=True)
def run_fps_xml(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    try:
        name, xml = rti_filing.fps_xml(run=run, actor=request.user)
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:rti", run.pk)
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@page("payroll:file", staff=True)
def run_fps_send(request, caller, run_id: int):
    run = selectors.access_run(client_ids=caller.client_ids, run_id=run_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Confirm that the FPS is to be sent to HMRC.")
        return redirect("payroll:rti", run.pk)
    try:
        sent = rti_filing.send_fps(actor=request.user, run=run)
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:rti", run.pk)
    if sent.status == RtiSubmission.Status.ACCEPTED:
        messages.success(request, "HMRC accepted the Full Payment Submission.")
    else:
        messages.error(request, f"The Full Payment Submission was not accepted. {sent.answer}")
    return redirect("payroll:rti", run.pk)


# --- the pay group's page --------------------------------------------------------------------


def group_context(request, caller, group: PayGroup) -> dict:
    """The pay group page's filing section (UK pay groups only)."""
    if group.jurisdiction != "GB":
        return {"rti": None}
    finalised_years = (
        PayRun.objects.filter(pay_group=group, status=PayRun.Status.FINALISED)
        .values_list("tax_year", flat=True)
        .distinct()
    )
    return {
        "rti": {
            "employer": rti_filing.employer(group),
            "eps": _rows(rti_filing.submissions(pay_group=group)[:24]),
            "may_file": _may_file(request, caller),
            "may_write": request.user.is_provider_staff and "payroll:write" in caller.permissions,
            "p60_years": sorted(set(finalised_years), reverse=True),
            "months": range(1, 13),
            "relief": rti_filing.small_employer_relief(_latest_year()),
        }
    }


def _latest_year() -> str:
    """The latest tax year Tercero has HMRC's figures for (the relief's sentence)."""
    return rti.tax_years()[-1]


@require_POST
@page("payroll:write", staff=True)
def group_paye(request, caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    try:
        rti_filing.set_employer(
            actor=request.user,
            pay_group=group,
            paye_reference=request.POST.get("paye_reference", ""),
            accounts_office_reference=request.POST.get("accounts_office_reference", ""),
            version=version_of(request),
            is_small_employer=request.POST.get("is_small_employer") == "yes",
        )
    except DomainError as error:
        _say(request, error)
    else:
        messages.success(request, "PAYE references saved.")
    return redirect("payroll:group", group.pk)


@require_POST
@page("payroll:file", staff=True)
def group_eps(request, caller, pay_group_id: int):
    """First the EPS is built and checked and shown for confirmation; sent on confirm.
    `kind` "recovery": the EPS claiming statutory pay back, from a run's RTI page."""
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    if request.POST.get("kind") == "recovery":
        return _group_recovery(request, caller, group)
    asked = {
        "tax_year": request.POST.get("tax_year", ""),
        "month_from": request.POST.get("month_from", ""),
        "month_to": request.POST.get("month_to", ""),
    }
    try:
        if request.POST.get("confirm") != "yes":
            document = rti_filing.eps_document(pay_group=group, **asked)
            return render(
                request,
                "payroll/eps_confirm.html",
                {
                    "group": group,
                    "asked": asked,
                    "document": document,
                    "refused": rti_filing.unsendable(document),
                },
            )
        sent = rti_filing.send_eps(actor=request.user, pay_group=group, **asked)
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:group", group.pk)
    if sent.status == RtiSubmission.Status.ACCEPTED:
        messages.success(request, "HMRC accepted the Employer Payment Summary.")
    else:
        messages.error(request, f"The Employer Payment Summary was not accepted. {sent.answer}")
    return redirect("payroll:group", group.pk)


def _group_recovery(request, caller, group: PayGroup):
    """The recovery EPS of one tax month: shown with its claim in words, sent on confirm;
    the answer in words on the RTI page of the run it came from (else the group's page)."""
    asked = {"tax_year": request.POST.get("tax_year", ""), "month": request.POST.get("month", "")}
    back = _back_to(caller, group, request.POST.get("run", ""))
    try:
        document = rti_filing.recovery_document(pay_group=group, **asked)
        claim = rti_filing.claim_of(document.xml, tax_year=document.tax_year)
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "payroll/eps_recovery_confirm.html",
                {
                    "group": group,
                    "asked": asked,
                    "run_id": request.POST.get("run", ""),
                    "back": back,
                    "document": document,
                    "claim": claim.sentence("It claims back") if claim else "",
                    "refused": rti_filing.unsendable(document),
                },
            )
        sent = rti_filing.send_recovery(actor=request.user, pay_group=group, **asked)
    except DomainError as error:
        _say(request, error)
        return redirect(back)
    if sent.status == RtiSubmission.Status.ACCEPTED and claim:
        messages.success(request, f"{claim.sentence('Recovered')}.")
    else:
        messages.error(request, f"The Employer Payment Summary was not accepted. {sent.answer}")
    return redirect(back)


def _back_to(caller, group: PayGroup, run_id: str) -> str:
    """The RTI page of the group's run the form came from, else the group's page."""
    if run_id.isdigit() and 0 < int(run_id) < 2**62:
        try:
            run = selectors.access_run(client_ids=caller.client_ids, run_id=int(run_id))
        except NotFound:
            run = None
        if run is not None and run.pay_group_id == group.pk:
            return reverse("payroll:rti", args=[run.pk])
    return reverse("payroll:group", args=[group.pk])


@page("payroll:read")
def group_p60s(request, caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    tax_year = request.GET.get("tax_year", "")
    try:
        certificates = p45p60.p60s(pay_group=group, tax_year=tax_year)
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:group", group.pk)
    p45p60.exported(
        certificates=certificates, actor=request.user, pay_group=group, tax_year=tax_year
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    national_ids = p45p60.masked_national_ids([c.employee_id for c in certificates])
    p45p60.write_csv(certificates, response, national_ids=national_ids)
    response["Content-Disposition"] = f'attachment; filename="p60s-{group.name}-{tax_year}.csv"'
    return response


# --- the employee's page ---------------------------------------------------------------------


def employee_context(request, caller, employee: Employee) -> dict:
    """The employee page's HMRC section: P60s of ended years paid, a leaver's P45, and
    the gender HMRC holds (the FPS carries it)."""
    if employee.country != "GB":
        return {"certificates": None}
    return {
        "certificates": {
            "p60_years": p45p60.years_paid(employee),
            "left_on": rti_figures.leaving_date(employee),
            "gender": rti_filing.gender_of(employee),
            "genders": RtiPerson.Gender.choices,
            "may_write": request.user.is_provider_staff and "payroll:write" in caller.permissions,
        }
    }


@require_POST
@page("payroll:write", staff=True)
def employee_gender(request, caller, employee_id: int):
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    try:
        rti_filing.set_gender(
            actor=request.user, employee=employee, gender=request.POST.get("gender", "")
        )
    except DomainError as error:
        _say(request, error)
    else:
        messages.success(request, "The gender HMRC holds is recorded.")
    return redirect("payroll:employee", employee.pk)


def _certificate_file(request, employee: Employee, certificate, kind: str) -> HttpResponse:
    p45p60.opened(
        certificate=certificate, actor=request.user, client_id=employee.client_id, how=kind
    )
    name = f"{certificate.form}-{certificate.payroll_id}-{certificate.tax_year}.{kind}"
    if kind == "pdf":
        response = HttpResponse(p45p60.pdf(certificate, employee=employee), "application/pdf")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        masked = p45p60.masked_national_ids([employee.pk])
        p45p60.write_csv([certificate], response, national_ids=masked)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page("payroll:read")
def employee_p45(request, caller, employee_id: int, kind: str):
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    try:
        certificate = p45p60.p45(employee=employee)
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:employee", employee.pk)
    return _certificate_file(request, employee, certificate, kind)


@page("payroll:read")
def employee_p60(request, caller, employee_id: int, kind: str):
    employee = selectors.access_employee(client_ids=caller.client_ids, employee_id=employee_id)
    try:
        certificate = p45p60.p60(employee=employee, tax_year=request.GET.get("tax_year", ""))
    except DomainError as error:
        _say(request, error)
        return redirect("payroll:employee", employee.pk)
    return _certificate_file(request, employee, certificate, kind)
