"""Engagement set-up forms: terms, working hours, holidays and closures, SLA targets,
channels and residency, queues. Each turns what a person enters into the structure the
engagement stores (`engagements.calendar`) and back; the service validates again."""

import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, cast

import holidays
from django import forms

from tercero.delivery.engagements import words
from tercero.delivery.engagements.models import Category, Engagement
from tercero.delivery.setup.people_forms import PlainForm
from tercero.delivery.work import registry
from tercero.delivery.work.models import Queue
from tercero.platform import catalogue
from tercero.platform.tenancy import regions
from tercero.platform.tenancy.models import Client

SHORES = (("onshore", "Onshore"), ("nearshore", "Nearshore"), ("offshore", "Offshore"))
CHANNELS = (
    ("email", "E-mail"),
    ("web_form", "Web form"),
    ("chat", "Chat"),
    ("phone", "Phone"),
    ("portal", "Portal"),
    ("api", "API"),
    ("webhook", "Webhook"),
)
SHIFTS_PER_DAY = 3
MAX_CLOSURE_DAYS = 31
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def _time_zones() -> list[tuple[str, str]]:
    return list(regions.time_zone_choices())


def _codes(text: str, *, length: int, what: str) -> list[str]:
    """Comma-separated codes of `length` letters, e.g. "en, de" or "PH, IN"."""
    codes = [part.strip() for part in text.split(",") if part.strip()]
    bad = [code for code in codes if len(code) != length or not code.isalpha()]
    if bad:
        raise forms.ValidationError(f"Not {what}: {', '.join(bad)}.")
    return codes


class TermsForm(PlainForm):
    """What is outsourced and how big it is (complexity is assessed from these)."""

    name = forms.CharField(label="Name", max_length=200)
    scope = forms.CharField(label="Scope", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    monthly_volume = forms.IntegerField(label="Monthly volume", min_value=0, initial=0)
    process_steps = forms.IntegerField(
        label="Process steps", min_value=1, max_value=1000, initial=1
    )
    exception_rate_percent = forms.FloatField(
        label="Exception rate (%)", min_value=0, max_value=100, initial=0
    )
    systems_count = forms.IntegerField(label="Systems used", min_value=0, max_value=1000, initial=1)
    regulation = forms.ChoiceField(label="Regulation", choices=Engagement.Regulation.choices)

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NewEngagementForm(TermsForm):
    """A new engagement: its terms, and the time zone and cover its calendar starts from."""

    client = forms.ModelChoiceField(label="Client", queryset=Client.objects.none())
    service_line = forms.ChoiceField(
        label="Service line", choices=lambda: tuple(catalogue.offerings().items())
    )
    category = forms.ChoiceField(label="Category", choices=Category.choices)
    office = forms.ChoiceField(label="Office", choices=Engagement.Office.choices)
    orientation = forms.ChoiceField(label="Orientation", choices=Engagement.Orientation.choices)
    pricing_model = forms.ChoiceField(label="Pricing", choices=Engagement.Pricing.choices)
    time_zone = forms.ChoiceField(label="Time zone", choices=_time_zones, initial="UTC")
    hours_of_cover = forms.ChoiceField(
        label="Hours of cover",
        choices=Engagement.Cover.choices,
        widget=forms.RadioSelect,
        initial=Engagement.Cover.BUSINESS_HOURS,
        help_text="24/7: the SLA clock runs every hour of every day, holidays included.",
    )
    field_order = ["client", "name", "service_line", "category", "office", "orientation"]

    def __init__(self, *args: Any, client_ids: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Client]", self.fields["client"])
        field.queryset = Client.objects.filter(pk__in=client_ids).order_by("legal_name")


class HoursForm(PlainForm):
    """Cover (24/7 or hours), the time zone, and up to three shifts for each weekday."""

    hours_of_cover = forms.ChoiceField(
        label="Hours of cover",
        choices=Engagement.Cover.choices,
        widget=forms.RadioSelect,
        help_text="24/7: the SLA clock runs every hour of every day, holidays included; "
        "the hours below are kept for when the cover changes.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=_time_zones)

    def __init__(self, *args: Any, engagement: Engagement, **kwargs: Any) -> None:
        by_day = words.hours_by_weekday(engagement.working_hours)
        self.shifts = max(SHIFTS_PER_DAY, *(len(spans) for spans in by_day.values()))
        initial = {"hours_of_cover": engagement.hours_of_cover, "time_zone": engagement.time_zone}
        for day, spans in by_day.items():
            for n, (start, end) in enumerate(spans, start=1):
                initial[f"d{day}_{n}_from"], initial[f"d{day}_{n}_to"] = start, end
        super().__init__(*args, initial=initial, **kwargs)
        self._add_shift_fields()

    def _add_shift_fields(self) -> None:
        """A start and an end field for each of `self.shifts` shifts of each weekday."""
        for day, name in enumerate(words.WEEKDAYS):
            for n in range(1, self.shifts + 1):
                for end, said in (("from", "starts"), ("to", "ends")):
                    label = f"{name} shift {n} {said}"
                    self.fields[f"d{day}_{n}_{end}"] = forms.CharField(
                        label=label,
                        required=False,
                        max_length=5,
                        widget=forms.TextInput(
                            attrs={"placeholder": "HH:MM", "size": 5, "aria-label": label}
                        ),
                    )

    def rows(self) -> list[dict[str, Any]]:
        """The weekday rows of the grid: each day's name and its (start, end) fields."""
        return [
            {
                "day": name,
                "shifts": [
                    (self[f"d{day}_{n}_from"], self[f"d{day}_{n}_to"])
                    for n in range(1, self.shifts + 1)
                ],
            }
            for day, name in enumerate(words.WEEKDAYS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[str, list[list[str]]] = {}
        for day, name in enumerate(words.WEEKDAYS):
            spans = self._day(day, name, data)
            if spans:
                hours[str(day)] = spans
        if not hours and data.get("hours_of_cover") != Engagement.Cover.ALWAYS:
            raise forms.ValidationError("Give at least one shift, or choose 24/7 cover.")
        data["working_hours"] = hours
        return data

    def _day(self, day: int, name: str, data: Mapping[str, Any]) -> list[list[str]]:
        spans = []
        for n in range(1, self.shifts + 1):
            start_text = (data.get(f"d{day}_{n}_from") or "").strip()
            end_text = (data.get(f"d{day}_{n}_to") or "").strip()
            if not (start_text or end_text):
                continue
            where = f"{name} shift {n}"
            if not (start_text and end_text):
                self.add_error(f"d{day}_{n}_from", f"{where}: give both its start and its end.")
                continue
            start, end = _clock(start_text, end=False), _clock(end_text, end=True)
            if start is None or end is None:
                self.add_error(f"d{day}_{n}_from", f"{where}: times are like 08:00 or 17:30.")
            elif end <= start:
                self.add_error(
                    f"d{day}_{n}_from",
                    f"{where} ends ({end}) before it starts ({start}); a night shift is two "
                    "shifts: until 24:00, and from 00:00 on the next day.",
                )
            else:
                spans.append([start, end])
        spans.sort()
        for before, after in itertools.pairwise(spans):
            if after[0] < before[1]:
                self.add_error(
                    None,
                    f"{name}: the shift {words.spans_in_words([after])} overlaps "
                    f"{words.spans_in_words([before])}.",
                )
        return spans

    def changes(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("hours_of_cover", "time_zone", "working_hours")
        }


def _clock(text: str, *, end: bool) -> str | None:
    """ "8:00" -> "08:00"; an end of 00:00 or 24:00 is midnight at the end of the day."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) in ((0, 0), (24, 0)):
        return "24:00"
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _holiday_countries() -> list[tuple[str, str]]:
    names = words.country_names()
    supported = holidays.list_supported_countries()
    ordered = sorted(((code, names.get(code, code)) for code in supported), key=lambda c: c[1])
    return [("", "None (no public holidays)"), *ordered]


class HolidaysForm(PlainForm):
    """Whose public holidays close the engagement (from the `holidays` package)."""

    holiday_country = forms.ChoiceField(
        label="Public holidays of", choices=_holiday_countries, required=False
    )
    holiday_subdivision = forms.ChoiceField(
        label="Region (state, province or nation)", required=False, choices=()
    )

    def __init__(self, *args: Any, engagement: Engagement, **kwargs: Any) -> None:
        initial = {
            "holiday_country": engagement.holiday_country,
            "holiday_subdivision": engagement.holiday_subdivision,
        }
        super().__init__(*args, initial=initial, **kwargs)
        country = self._country(engagement)
        field = cast(forms.ChoiceField, self.fields["holiday_subdivision"])
        field.choices = [("", "The whole country"), *_regions(country)]
        field.help_text = "Regions of the country saved; to change both, save the country first."
        field.error_messages["invalid_choice"] = (
            f"That region is not one of {words.country_name(country)}'s; choose the whole "
            "country, save, then choose one of its regions."
            if country
            else "A region needs a country."
        )

    def _country(self, engagement: Engagement) -> str:
        posted = self.data.get("holiday_country") if self.is_bound else None
        return str(posted if posted is not None else engagement.holiday_country)

    def changes(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _regions(country: str) -> list[tuple[str, str]]:
    if country not in holidays.list_supported_countries():
        return []
    calendar = holidays.country_holidays(country)
    names = {code: name for name, code in getattr(calendar, "subdivisions_aliases", {}).items()}
    return [
        (code, f"{names[code]} ({code})" if code in names else code)
        for code in calendar.subdivisions
    ]


class ClosureForm(PlainForm):
    """A day (or a run of days) the client's operation is closed, with its reason."""

    first_day = forms.DateField(label="Closed on", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(
        label="Until (optional, for several days)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label="Why (e.g. Office move)", max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", "The last day is on or after the first.")
            elif (last - first).days >= MAX_CLOSURE_DAYS:
                self.add_error("last_day", f"A closure is at most {MAX_CLOSURE_DAYS} days.")
        return data

    def days(self) -> list[date]:
        first = self.cleaned_data["first_day"]
        last = self.cleaned_data.get("last_day") or first
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class SlaTargetForm(PlainForm):
    """One target: what it measures, for which priority, how much of what unit."""

    metric = forms.ChoiceField(label="Measure", choices=tuple(words.METRICS.items()))
    priority = forms.ChoiceField(
        label="Priority",
        required=False,
        choices=[("", "Every priority"), *((p, p) for p in words.PRIORITIES)],
    )
    amount = forms.DecimalField(label="Target", min_value=0, max_digits=12, decimal_places=3)
    unit = forms.ChoiceField(label="Unit", choices=tuple(words.UNITS.items()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"metric", "amount", "unit"} <= set(data):
            try:
                data["target"] = words.target_from(
                    metric=data["metric"],
                    priority=data.get("priority") or "",
                    amount=data["amount"],
                    unit=data["unit"],
                )
            except words.TargetNotValid as error:
                self.add_error("amount", str(error))
        return data


class ReachForm(PlainForm):
    """How work and questions flow (channels, languages) and where personal data may be
    seen from (residency)."""

    channels = forms.MultipleChoiceField(
        label="Channels", choices=CHANNELS, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label="Languages",
        required=False,
        help_text="Two-letter codes separated by commas, e.g. en, de.",
    )
    residency_allowed_shores = forms.MultipleChoiceField(
        label="Personal data may be seen from",
        choices=SHORES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: no restriction by shore.",
    )
    residency_allowed_countries = forms.MultipleChoiceField(
        label="Only from sites in these countries",
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: no restriction by country.",
    )
    other_countries = forms.CharField(
        label="Other countries (two-letter codes, for sites not opened yet)", required=False
    )

    def __init__(
        self, *args: Any, engagement: Engagement, site_countries: Iterable[str], **kwargs: Any
    ) -> None:
        known = sorted(set(site_countries), key=words.country_name)
        others = [c for c in engagement.residency_allowed_countries if c not in known]
        initial = {
            "channels": engagement.channels,
            "languages": ", ".join(engagement.languages),
            "residency_allowed_shores": engagement.residency_allowed_shores,
            "residency_allowed_countries": [
                c for c in engagement.residency_allowed_countries if c in known
            ],
            "other_countries": ", ".join(others),
        }
        super().__init__(*args, initial=initial, **kwargs)
        field = cast(forms.ChoiceField, self.fields["residency_allowed_countries"])
        field.choices = [(code, words.country_name(code)) for code in known]

    def clean_languages(self) -> list[str]:
        codes = _codes(self.cleaned_data["languages"], length=2, what="two-letter language codes")
        return list(dict.fromkeys(code.lower() for code in codes))

    def clean_other_countries(self) -> list[str]:
        codes = _codes(
            self.cleaned_data["other_countries"], length=2, what="two-letter country codes"
        )
        unknown = [code for code in codes if code.upper() not in words.country_names()]
        if unknown:
            raise forms.ValidationError(f"Not countries: {', '.join(unknown)}.")
        return [code.upper() for code in codes]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        countries = [*data["residency_allowed_countries"], *data["other_countries"]]
        order = [code for code, _ in CHANNELS]
        return {
            "channels": sorted(data["channels"], key=order.index),
            "languages": data["languages"],
            "residency_allowed_shores": data["residency_allowed_shores"],
            "residency_allowed_countries": list(dict.fromkeys(countries)),
        }


class QueueForm(PlainForm):
    name = forms.CharField(label="Queue name", max_length=100)
    work_types = forms.MultipleChoiceField(
        label="Work it takes", widget=forms.CheckboxSelectMultiple, choices=()
    )
    routing = forms.ChoiceField(label="Routing", choices=Queue.Routing.choices)
    priority = forms.TypedChoiceField(
        label="Default priority", coerce=int, choices=[(p, f"P{p}") for p in range(1, 5)], initial=3
    )
    at_risk_percent = forms.IntegerField(
        label="At risk after (% of the SLA time used)", min_value=1, max_value=99, initial=80
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["work_types"]).choices = [
            (t.key, t.title) for t in registry.all_types()
        ]


class QueueEditForm(QueueForm):
    is_active = forms.BooleanField(label="Takes new work", required=False)
