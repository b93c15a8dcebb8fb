"""The pages' forms: a schedule to build, a site's shift templates and labour rules (as
fields, never as JSON), a shift moved by hand, an activity laid over a shift and an
agent's time off."""

from datetime import timedelta
from typing import Any

from django import forms

from tercero.delivery.scheduling.labour import BreakRule, LabourRules

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label="Name (optional)")
    sites = forms.MultipleChoiceField(label="Sites", widget=forms.CheckboxSelectMultiple)
    first_day = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days", min_value=1, max_value=42, initial=14)
    time_limit_seconds = forms.IntegerField(
        label="Time limit for the optimiser (seconds)", min_value=5, max_value=600, initial=30
    )

    def __init__(self, *args: Any, sites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].choices = sites  # type: ignore[attr-defined]


class TemplateForm(forms.Form):
    key = forms.SlugField(max_length=40, label="Short name", help_text="For example early")
    label = forms.CharField(max_length=100, label="Shift name")
    start = forms.TimeField(
        label="Starts at (site time)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    hours = forms.DecimalField(
        label="Length in hours", min_value=0.5, max_value=24, decimal_places=2
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days of the week",
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
    )


def _hours_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_value=168, decimal_places=2)


class RulesForm(forms.Form):
    """The labour rules in hours and days; breaks as up to three rows."""

    max_hours_per_week = _hours_field("Most hours in any 7 days")
    min_rest_hours = _hours_field("Least rest between shifts (hours)")
    max_days_per_week = forms.IntegerField(
        label="Most working days in any 7", min_value=1, max_value=7
    )
    max_consecutive_days = forms.IntegerField(
        label="Most working days in a row", min_value=1, max_value=42
    )
    min_shift_hours = _hours_field("Shortest shift (hours)")
    max_shift_hours = _hours_field("Longest shift (hours)")
    break_margin_minutes = forms.IntegerField(
        label="No break within this many minutes of a shift's start or end",
        min_value=0,
        max_value=600,
    )

    BREAK_ROWS = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, self.BREAK_ROWS + 1):
            self.fields[f"break_{row}_after_hours"] = forms.DecimalField(
                label=f"Break {row}: for shifts of at least (hours)",
                required=False,
                min_value=0,
                max_value=24,
                decimal_places=2,
            )
            self.fields[f"break_{row}_minutes"] = forms.IntegerField(
                label=f"Break {row}: length (minutes)", required=False, min_value=1, max_value=240
            )
            self.fields[f"break_{row}_paid"] = forms.BooleanField(
                label=f"Break {row}: paid", required=False
            )

    @classmethod
    def initial_from(cls, rules: LabourRules) -> dict[str, object]:
        initial: dict[str, object] = {
            "max_hours_per_week": _hours(rules.max_minutes_per_week),
            "min_rest_hours": _hours(rules.min_rest_minutes),
            "max_days_per_week": rules.max_days_per_week,
            "max_consecutive_days": rules.max_consecutive_days,
            "min_shift_hours": _hours(rules.min_shift_minutes),
            "max_shift_hours": _hours(rules.max_shift_minutes),
            "break_margin_minutes": rules.break_margin_minutes,
        }
        for row, rule in enumerate(rules.breaks[: cls.BREAK_ROWS], start=1):
            initial[f"break_{row}_after_hours"] = _hours(rule.min_shift_minutes)
            initial[f"break_{row}_minutes"] = rule.break_minutes
            initial[f"break_{row}_paid"] = rule.paid
        return initial

    def rule_values(self) -> dict[str, object]:
        """The cleaned form as `LabourRules.from_dict` reads it."""
        data = self.cleaned_data
        breaks = [
            BreakRule(
                min_shift_minutes=_minutes(data[f"break_{row}_after_hours"]),
                break_minutes=data[f"break_{row}_minutes"],
                paid=data[f"break_{row}_paid"],
            )
            for row in range(1, self.BREAK_ROWS + 1)
            if data.get(f"break_{row}_after_hours") is not None and data.get(f"break_{row}_minutes")
        ]
        return {
            "max_minutes_per_week": _minutes(data["max_hours_per_week"]),
            "min_rest_minutes": _minutes(data["min_rest_hours"]),
            "max_days_per_week": data["max_days_per_week"],
            "max_consecutive_days": data["max_consecutive_days"],
            "min_shift_minutes": _minutes(data["min_shift_hours"]),
            "max_shift_minutes": _minutes(data["max_shift_hours"]),
            "break_margin_minutes": data["break_margin_minutes"],
            "breaks": [
                {
                    "min_shift_minutes": b.min_shift_minutes,
                    "break_minutes": b.break_minutes,
                    "paid": b.paid,
                }
                for b in breaks
            ],
        }


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def _minutes(hours: object) -> int:
    return round(float(str(hours)) * 60)


class ShiftForm(forms.Form):
    """A shift's new start and length, in the site's local time."""

    start = forms.DateTimeField(
        label="Starts (site time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    hours = forms.DecimalField(
        label="Length in hours", min_value=0.5, max_value=24, decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def length(self) -> timedelta:
        return timedelta(minutes=_minutes(self.cleaned_data["hours"]))


class ActivityForm(forms.Form):
    """A meeting, training, coaching or approved exception laid over part of a shift."""

    prefix = "activity"
    kind = forms.ChoiceField(label="Activity")
    start = forms.DateTimeField(
        label="Starts (site time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    hours = forms.DecimalField(
        label="Length in hours", min_value=0.25, max_value=24, decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, kinds: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds.items())  # type: ignore[attr-defined]

    def length(self) -> timedelta:
        return timedelta(minutes=_minutes(self.cleaned_data["hours"]))


class TimeOffForm(forms.Form):
    agent = forms.TypedChoiceField(label="Agent", coerce=int)
    start = forms.DateTimeField(
        label="From (agent's site time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    end = forms.DateTimeField(
        label="Until (agent's site time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(max_length=200, required=False, label="Reason (optional)")

    def __init__(self, *args: Any, agents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = agents  # type: ignore[attr-defined]
