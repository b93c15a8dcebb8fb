"""A queue's own working hours: the same weekday grid of shifts as the engagement's, with
a choice between following the engagement and keeping the queue's own."""

from typing import Any

from django import forms

from tercero.delivery.engagements import words
from tercero.delivery.setup.engagement_forms import SHIFTS_PER_DAY, HoursForm
from tercero.delivery.setup.people_forms import PlainForm
from tercero.delivery.work.models import Queue

FOLLOW, OWN = "engagement", "own"


class QueueHoursForm(HoursForm):
    """Follow the engagement's hours, or open only in the shifts given (in the
    engagement's time zone, closed on its holidays and closures)."""

    hours_of_cover = None  # type: ignore[assignment]  # the engagement's, not the queue's
    time_zone = None  # type: ignore[assignment]
    hours = forms.ChoiceField(
        label="Queue hours",
        choices=(
            (FOLLOW, "As the engagement (always open to agents)"),
            (OWN, "Its own shifts (offers nothing while closed)"),
        ),
        widget=forms.RadioSelect,
        help_text="Own shifts run in the engagement's time zone and close on its public "
        "holidays and closures; the SLA clocks of the queue's items count these hours.",
    )
    field_order = ["hours"]

    def __init__(self, *args: Any, queue: Queue, **kwargs: Any) -> None:
        by_day = words.hours_by_weekday(queue.working_hours)
        self.shifts = max(SHIFTS_PER_DAY, *(len(spans) for spans in by_day.values()))
        initial = {"hours": OWN if queue.has_own_hours else FOLLOW}
        for day, spans in by_day.items():
            for n, (start, end) in enumerate(spans, start=1):
                initial[f"d{day}_{n}_from"], initial[f"d{day}_{n}_to"] = start, end
        PlainForm.__init__(self, *args, initial=initial, **kwargs)
        self._add_shift_fields()

    def clean(self) -> dict[str, Any]:
        data = PlainForm.clean(self) or {}
        hours: dict[str, list[list[str]]] = {}
        for day, name in enumerate(words.WEEKDAYS):
            spans = self._day(day, name, data)
            if spans:
                hours[str(day)] = spans
        own = data.get("hours") == OWN
        if own and not hours and not self.errors:
            raise forms.ValidationError(
                "Give the queue at least one shift, or let it follow the engagement's hours."
            )
        data["working_hours"] = hours
        return data

    def changes(self) -> dict[str, Any]:
        own = self.cleaned_data["hours"] == OWN
        changes: dict[str, Any] = {"has_own_hours": own}
        if own or self.cleaned_data["working_hours"]:
            changes["working_hours"] = self.cleaned_data["working_hours"]
        return changes
