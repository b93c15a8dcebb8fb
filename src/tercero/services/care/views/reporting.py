"""The care desk report page (provider staff other than agents; client users see their
own company's figures) with its CSV export and charts."""

import csv
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.workforce.models import Agent, Site
from tercero.platform.identity.roles import Role
from tercero.platform.pages import page
from tercero.platform.tenancy.models import Client
from tercero.services.care import reporting
from tercero.web.charts import Point, bar_chart
from tercero.web.lists import csv_cell

GROUPS = (
    ("channel", "Channel"),
    ("client", "Client"),
    ("engagement", "Engagement"),
    ("agent", "Agent"),
    ("site", "Site"),
)
CHANNELS = (("email", "E-mail"), ("chat", "Chat"), ("web_form", "Web form"), ("phone", "Phone"))
MAX_DAYS = 366


class ReportForm(forms.Form):
    start = forms.DateField(
        required=False, label="From (first day)", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To (last day)", widget=forms.DateInput(attrs={"type": "date"})
    )
    client = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    engagement = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    agent = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(required=False, choices=(("", "All channels"), *CHANNELS))
    group_by = forms.ChoiceField(required=False, choices=GROUPS, label="Group by")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not date(2000, 1, 1) <= day <= date(2100, 12, 31):
                self.add_error(name, "Choose a day between 2000 and 2100.")
                return data
        if start and end and end < start:
            self.add_error("end", "The last day is before the first day.")
        elif start and end and (end - start).days > MAX_DAYS:
            self.add_error("end", f"Choose at most {MAX_DAYS} days.")
        return data


def _choices(caller, staff: bool):
    tickets = reporting.tickets(viewer=caller.user, client_ids=caller.client_ids)
    agent_ids = tickets.exclude(assignee=None).values("assignee_id")
    return {
        "client": [(c.pk, c.legal_name) for c in Client.objects.filter(pk__in=caller.client_ids)]
        if staff
        else [],
        "engagement": [
            (e.pk, e.name)
            for e in Engagement.objects.filter(client_id__in=caller.client_ids).order_by("name")
        ],
        "agent": [
            (a.pk, a.user.full_name)
            for a in Agent.objects.filter(pk__in=agent_ids).select_related("user")
        ],
        "site": [
            (s.pk, s.name)
            for s in Site.objects.filter(agents__pk__in=agent_ids).distinct().order_by("name")
        ],
    }


def _window(data: dict, zone: ZoneInfo) -> tuple[datetime, datetime]:
    today = timezone.now().astimezone(zone).date()
    last = data.get("end") or today
    first = data.get("start") or last - timedelta(days=29)
    start = datetime.combine(first, time.min, tzinfo=zone)
    return start, datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)


@page("work:read")
def report_page(request, caller):
    if request.user.role == Role.AGENT:
        raise PermissionDenied("Reports are for team leads, managers and clients.")
    staff = request.user.is_provider_staff
    choices = _choices(caller, staff)
    form = ReportForm(request.GET or None)
    for name, options in choices.items():
        form.fields[name].choices = [("", "All")] + [(str(k), v) for k, v in options]
    # an id the caller may not see is not an empty report: it does not exist for them
    for name, options in choices.items():
        wanted = request.GET.get(name, "")
        if wanted and wanted not in {str(k) for k, _ in options}:
            raise Http404(f"No such {name}.")
    report, data = None, {}
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        client_ids = [data["client"]] if data.get("client") else caller.client_ids
        zone = _zone(client_ids)
        start, end = _window(data, zone)
        report = reporting.care_report(
            viewer=caller.user,
            client_ids=client_ids,
            start=start,
            end=end,
            group_by=data.get("group_by") or "channel",
            engagement_id=data.get("engagement"),
            agent_id=data.get("agent"),
            site_id=data.get("site"),
            channel=data.get("channel") or None,
        )
        if request.GET.get("format") == "csv":
            return _csv(report)
    context = {
        "form": form,
        "report": report,
        "staff": staff,
        "charts": _charts(report) if report else {},
        "last_day": (report.end - timedelta(days=1)) if report else None,
        "csv_url": "?" + _with(request.GET, format="csv"),
    }
    return render(request, "care/reporting.html", context)


def _zone(client_ids: list[int]) -> ZoneInfo:
    zones = set(Client.objects.filter(pk__in=client_ids).values_list("time_zone", flat=True))
    return ZoneInfo(zones.pop()) if len(zones) == 1 else ZoneInfo("UTC")


def _with(params, **changes) -> str:
    merged = params.copy()
    for key, value in changes.items():
        merged[key] = value
    return merged.urlencode()


def _charts(report) -> dict:
    total = report.total
    return {
        "channels": bar_chart(
            [Point(name.replace("_", " ").capitalize(), n) for name, n in total.by_channel.items()],
            title="Tickets by channel",
            chart_id="care-volume-channel",
        ),
        "backlog": bar_chart(
            [Point(name, n) for name, n in total.backlog.items()],
            title="Open tickets by age",
            chart_id="care-backlog-age",
        ),
    }


COLUMNS = (
    ("Group", lambda f: f.label),
    ("Tickets", lambda f: f.volume),
    ("First response median (s)", lambda f: f.first_response_median),
    ("First response p90 (s)", lambda f: f.first_response_p90),
    ("Resolution median (s)", lambda f: f.resolution_median),
    ("Resolution p90 (s)", lambda f: f.resolution_p90),
    ("SLA attainment %", lambda f: f.sla_attainment),
    ("Resolved", lambda f: f.resolved),
    ("First-contact resolution %", lambda f: f.first_contact_resolution),
    ("Reopen rate %", lambda f: f.reopen_rate),
    ("Surveys answered", lambda f: f.surveys_answered),
    ("CSAT %", lambda f: f.csat),
    ("Average score", lambda f: f.score_average),
    ("Open backlog", lambda f: f.backlog_total),
)


def _csv(report):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="care-report.csv"'
    writer = csv.writer(response)
    writer.writerow([label for label, _ in COLUMNS])
    for figures in [*report.rows, report.total]:
        writer.writerow([csv_cell(value(figures)) for _, value in COLUMNS])
    return response
