"""The forms of the people administration pages: a new person, a staff profile, a grant,
a clearance, a team and a roster file."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe

from tercero.delivery.workforce.models import CHANNELS, SKILL_NAME
from tercero.platform.identity.roles import CLIENT_ROLES, Role

MAX_ROSTER_BYTES = 1024 * 1024
CHANNEL_LABELS = {
    "phone": "Phone",
    "chat": "Chat",
    "email": "E-mail",
    "web_form": "Web form",
    "portal": "Portal",
    "api": "API",
    "webhook": "Webhook",
    "back_office": "Back office",
}


class PlainForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PersonForm(PlainForm):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.AGENT)
    client = forms.TypedChoiceField(
        label="Client (client roles only)", coerce=int, required=False, empty_value=None
    )
    invite = forms.BooleanField(
        label="Mail a link to choose a password", required=False, initial=True
    )

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        assert isinstance(client_field, forms.TypedChoiceField)
        client_field.choices = [("", "None: provider staff"), *clients]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        is_client_role = data.get("role") in CLIENT_ROLES
        if is_client_role and not data.get("client"):
            self.add_error("client", "Client admins and client users belong to a client.")
        if not is_client_role:
            data["client"] = None
        return data


def parse_skills(text: str) -> dict[str, int]:
    """'data_entry = 3' per line (or ';' between them) into {name: level}."""
    skills: dict[str, int] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        match = re.fullmatch(r"\s*([a-z][a-z0-9_.-]{0,63})\s*[=:]\s*([1-5])\s*", part.lower())
        if not match or not SKILL_NAME.match(match.group(1)):
            raise forms.ValidationError(f"'{part.strip()}' is not 'skill = level' (1 to 5).")
        skills[match.group(1)] = int(match.group(2))
    return skills


class ProfileForm(PlainForm):
    """Where a member of staff works and what they can take: site, skills with levels,
    languages, and how many items of each channel at once."""

    site = forms.TypedChoiceField(label="Site", coerce=int)
    skills = forms.CharField(
        label="Skills",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        # the skill is typed as its code, so the example shows one as code
        help_text=mark_safe(
            "One per line: skill = level (1 to 5), e.g. <code>data_entry = 3</code>."
        ),
    )
    languages = forms.CharField(
        label="Languages", required=False, help_text="Two-letter codes separated by commas."
    )

    def __init__(self, *args: Any, sites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.TypedChoiceField)
        site_field.choices = sites
        for channel in CHANNELS:
            self.fields[f"capacity_{channel}"] = forms.IntegerField(
                label=f"{CHANNEL_LABELS[channel]}: items at once",
                min_value=0,
                max_value=50,
                required=False,
            )

    def clean_skills(self) -> dict[str, int]:
        return parse_skills(self.cleaned_data["skills"])

    def clean_languages(self) -> list[str]:
        codes = [c.strip().lower() for c in self.cleaned_data["languages"].split(",") if c.strip()]
        wrong = [c for c in codes if not re.fullmatch(r"[a-z]{2}", c)]
        if wrong:
            raise forms.ValidationError(f"Not two-letter language codes: {', '.join(wrong)}")
        return codes

    def capacity(self) -> dict[str, int]:
        return {
            channel: self.cleaned_data[f"capacity_{channel}"]
            for channel in CHANNELS
            if self.cleaned_data.get(f"capacity_{channel}") is not None
        }


class GrantForm(PlainForm):
    client = forms.TypedChoiceField(label="Client", coerce=int)
    last_day = forms.DateField(
        label="Last day (empty: no end)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field = self.fields["client"]
        assert isinstance(client_field, forms.TypedChoiceField)
        client_field.choices = clients

    def clean_last_day(self) -> date | None:
        last_day: date | None = self.cleaned_data["last_day"]
        if last_day is not None and last_day < timezone.now().date():
            raise forms.ValidationError("The last day has passed.")
        return last_day

    def expires_at(self) -> datetime | None:
        """Access ends as the day after the last day begins (UTC)."""
        last_day = self.cleaned_data.get("last_day")
        if last_day is None:
            return None
        return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)


class ClearanceForm(PlainForm):
    engagement = forms.TypedChoiceField(label="Engagement", coerce=int)

    def __init__(self, *args: Any, engagements: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engagement_field = self.fields["engagement"]
        assert isinstance(engagement_field, forms.TypedChoiceField)
        engagement_field.choices = engagements


class TeamForm(PlainForm):
    name = forms.CharField(label="Team name", max_length=100)
    lead = forms.TypedChoiceField(label="Lead", coerce=int, required=False, empty_value=None)
    site = forms.TypedChoiceField(label="Site", coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        leads: list[tuple[int, str]],
        sites: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        lead_field, site_field = self.fields["lead"], self.fields["site"]
        assert isinstance(lead_field, forms.TypedChoiceField)
        assert isinstance(site_field, forms.TypedChoiceField)
        lead_field.choices = [("", "Nobody yet"), *leads]
        site_field.choices = [("", "Any site"), *sites]


class RosterForm(PlainForm):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "Columns: email, full_name, site; optional role, skills, languages, capacity, "
            "clients, grant_expires, team."
        ),
    )
    invite = forms.BooleanField(
        label="Mail each person a link to choose a password", required=False, initial=True
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it.")
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                "The file is not UTF-8 text; save it as CSV UTF-8."
            ) from error
        return text
