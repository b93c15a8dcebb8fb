"""The client admin's page for the people of their own company, the page where an
invited person chooses their first password, the provider admin's settings (how long
a session lives) and the provider's clients (onboarding one)."""

import functools
from typing import Any

import holidays
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tercero.platform.api.caller import Caller
from tercero.platform.errors import Conflict, DomainError
from tercero.platform.identity import selectors, services
from tercero.platform.identity.models import User
from tercero.platform.identity.roles import Role
from tercero.platform.pages import page
from tercero.platform.tenancy import regions
from tercero.platform.tenancy import services as tenancy_services
from tercero.platform.tenancy.models import SESSION_HOURS_MAX, SESSION_HOURS_MIN, Client, Provider
from tercero.platform.tenancy.regions import COUNTRY_REGION
from tercero.web.lists import Column, Filter, Listing


class InviteForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(
        label="Role",
        choices=[(Role.CLIENT_USER, "Client user"), (Role.CLIENT_ADMIN, "Client admin")],
    )
    password = forms.CharField(
        label="First password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; they change it after signing in.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _client_admin(request: HttpRequest) -> tuple[User, Client]:
    """The signed-in client admin and their client."""
    user = request.user
    if not isinstance(user, User) or user.client is None:
        raise Http404("Not found.")
    if "users:write" not in user.permissions:
        raise DjangoPermissionDenied("Only a client admin manages users.")
    return user, user.client


@login_required
def users(request: HttpRequest) -> HttpResponse:
    admin, client = _client_admin(request)
    found = selectors.visible_users(user=admin, client_ids=[client.pk])
    listing = Listing(
        request,
        found,
        columns=[
            Column("full_name", "Name"),
            Column("email", "E-mail"),
            Column("role", "Role", value=lambda u: u.get_role_display()),
            Column("is_active", "Active", value=lambda u: "yes" if u.is_active else "no"),
            Column("last_login", "Last sign-in"),
        ],
        filters=[
            Filter(
                "role",
                "Role",
                ((Role.CLIENT_USER, "Client user"), (Role.CLIENT_ADMIN, "Client admin")),
            ),
            Filter(
                "active",
                "Active",
                (("yes", "Active"), ("no", "Deactivated")),
                apply=lambda qs, v: qs.filter(is_active=v == "yes"),
            ),
        ],
        search=lambda qs, q: qs.filter(full_name__icontains=q) | qs.filter(email__icontains=q),
        search_label="Search name or e-mail",
        default_sort="full_name",
    )
    if listing.wants_csv:
        return listing.csv_response("users.csv")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_user(
                actor=admin,
                client=client,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                password=form.cleaned_data["password"],
            )
        except DomainError as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(request, f"{created.full_name} can now sign in as {created.email}.")
            return redirect("portal:users")
    return render(
        request,
        "identity/users.html",
        {"listing": listing, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    admin, client = _client_admin(request)
    try:
        target = selectors.access_user(user=admin, user_id=user_id, client_ids=[client.pk])
        services.set_user_active(
            actor=admin, user=target, is_active=request.POST.get("active") == "yes"
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        state = "reactivated" if target.is_active else "deactivated"
        messages.success(request, f"{target.full_name} {state}.")
    return redirect("portal:users")


class WelcomeForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


def _invitation_works(invited: User, token: str) -> bool:
    return invited.is_active and default_token_generator.check_token(invited, token)


@never_cache
@sensitive_post_parameters("password1", "password2")
def welcome(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """An invited person chooses their first password from the one-time link mailed to
    them, then signs in (with their second factor where their role needs one)."""
    invited = selectors.invited_user(uid=uid)
    if invited is not None and not _invitation_works(invited, token):
        invited = None
    form = WelcomeForm(request.POST or None)
    if invited is not None and request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                user=invited, token=token, password=form.cleaned_data["password1"]
            )
        except DomainError as error:
            form.add_error("password1", error.fields.get("password") or error.message)
        else:
            messages.success(request, "Your password is set. Sign in with it now.")
            return redirect("login")
    status = 404 if invited is None else 422 if request.method == "POST" else 200
    return render(
        request, "identity/welcome.html", {"form": form, "invited": invited}, status=status
    )


class ProviderSettingsForm(forms.Form):
    session_hours = forms.IntegerField(
        label="Session lifetime (hours)",
        min_value=SESSION_HOURS_MIN,
        max_value=SESSION_HOURS_MAX,
        help_text=(
            f"However busy, a person signs in again this long after signing in: "
            f"{SESSION_HOURS_MIN} to {SESSION_HOURS_MAX} hours. Cover a whole shift with its "
            f"breaks. A session idle for {settings.SESSION_IDLE_SECONDS // 60} minutes still "
            f"ends. The new lifetime applies from each person's next sign-in."
        ),
        error_messages={
            "required": "Give the lifetime in whole hours.",
            "invalid": "Give the lifetime in whole hours.",
            "min_value": f"A session lasts at least {SESSION_HOURS_MIN} hour.",
            "max_value": f"A session lasts at most {SESSION_HOURS_MAX} hours.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@page(staff=True)
def provider_settings(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The provider admin's settings: how long a session lives after sign-in."""
    if caller.user.role != Role.PROVIDER_ADMIN:
        raise DjangoPermissionDenied("Only a provider admin changes the provider's settings.")
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise Http404("No provider is set up yet.")
    hours = provider.session_hours or settings.SESSION_ABSOLUTE_SECONDS // 3600
    form = ProviderSettingsForm(request.POST or None, initial={"session_hours": hours})
    if request.method == "POST" and form.is_valid():
        try:
            tenancy_services.set_session_hours(
                actor=caller.user, provider=provider, hours=form.cleaned_data["session_hours"]
            )
        except DomainError as error:
            form.add_error("session_hours", error.message)
        else:
            messages.success(
                request, f"Sessions now last {provider.session_hours} hours after sign-in."
            )
            return redirect("provider_settings")
    return render(
        request,
        "identity/provider_settings.html",
        {"form": form, "provider": provider, "hours": hours},
        status=422 if request.method == "POST" else 200,
    )


@functools.cache
def _countries() -> list[tuple[str, str]]:
    """Every country a client may be in, by its English name (the code beside it)."""
    names = {entry[1]: module for module, entry in holidays.registry.COUNTRIES.items()}
    labelled = [
        (
            code,
            f"{names.get(code, code).replace('_', ' ').title().replace(' And ', ' and ')} ({code})",
        )
        for code in COUNTRY_REGION
    ]
    return [("", "Choose a country"), *sorted(labelled, key=lambda pair: pair[1])]


def _time_zones() -> list[tuple[str, str]]:
    return [("", "Choose a time zone"), *regions.time_zone_choices()]


class ClientForm(forms.Form):
    legal_name = forms.CharField(label="Legal name", max_length=200)
    country = forms.ChoiceField(label="Country", choices=_countries)
    time_zone = forms.ChoiceField(
        label="Time zone", choices=_time_zones, help_text="Its SLA clocks run in this zone."
    )
    industry_vertical = forms.ChoiceField(
        label="Industry", choices=[("", "Choose an industry"), *Client.Vertical.choices]
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[(Client.Status.ACTIVE, "Active"), (Client.Status.PROSPECT, "Prospect")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@page(staff=True)
def provider_clients(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The provider's clients the admin may reach, and a new client onboarded from a form
    (its creator is granted it, as the API does; audited)."""
    if caller.user.role != Role.PROVIDER_ADMIN:
        raise DjangoPermissionDenied("Only a provider admin onboards clients.")
    provider = Provider.objects.order_by("id").first()
    if provider is None:
        raise Http404("No provider is set up yet.")
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = tenancy_services.create_client(
                actor=caller.user, provider=provider, **form.cleaned_data
            )
        except DomainError as error:
            for name, message in error.fields.items():
                # a clash says what clashed in a sentence, not "already used"
                said = error.message if isinstance(error, Conflict) else message
                form.add_error(name if name in form.fields else None, said)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Client {created.legal_name} onboarded; you may now set up its engagements.",
            )
            return redirect("provider_clients")
    countries = dict(_countries())
    clients = [
        (client, countries.get(client.country, client.country))
        for client in Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name")
    ]
    return render(
        request,
        "identity/provider_clients.html",
        {"form": form, "provider": provider, "clients": clients},
        status=422 if request.method == "POST" else 200,
    )
