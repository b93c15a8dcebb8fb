"""A United States pay group's tax forms page: Form 941 for each quarter and each
employee's Form W-2 for a year, from the finalised runs, with the same figures as CSV."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.pages import page
from tercero.services.payroll import outputs, selectors, us_forms


def _year(request) -> int:
    text = request.GET.get("year") or str(timezone.localdate().year)
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise InvalidInput("Give a year such as 2026.", fields={"year": "YYYY"})
    return int(text)


def _us_group(caller, pay_group_id: int):
    group = selectors.access_pay_group(client_ids=caller.client_ids, pay_group_id=pay_group_id)
    if group.jurisdiction != "US":
        raise NotFound("Tax forms are kept for United States pay groups.")
    return group


@page("payroll:read")
def us_forms_page(request, caller, pay_group_id: int):
    group = _us_group(caller, pay_group_id)
    try:
        year = _year(request)
        quarters = [us_forms.form_941(group=group, year=year, quarter=q) for q in range(1, 5)]
        employees = us_forms.forms_w2(group=group, year=year)
    except InvalidInput as error:
        return render(request, "payroll/us_forms.html",
                      {"group": group, "refusal": error.message}, status=400)  # fmt: skip

    def text(cents: int | None) -> str:
        return "" if cents is None else outputs.amount_text(cents, group.currency)

    context = {
        "group": group,
        "year": year,
        "quarters": [
            {
                "quarter": form.quarter,
                "lines": [
                    (line, what, text(wages), amount if line == "1" else text(amount))
                    for line, what, wages, amount in form.lines()
                ],
            }
            for form in quarters
        ],
        "employees": [
            {
                "number": w2.employee_number,
                "boxes": [(b, what, text(c)) for b, what, c in w2.boxes()],
            }
            for w2 in employees
        ],
    }
    return render(request, "payroll/us_forms.html", context)


@page("payroll:read")
def us_forms_csv(request, caller, pay_group_id: int):
    group = _us_group(caller, pay_group_id)
    year = _year(request)
    response = HttpResponse(
        us_forms.forms_csv(group=group, year=year), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="tax-forms-{group.pk}-{year}.csv"'
    return response
