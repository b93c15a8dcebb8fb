"""Pages that span modules: sign-in, home, password change, keep-alive."""

import time

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tercero.config.navigation import landing_url
from tercero.platform.errors import DomainError
from tercero.platform.identity import lockout, mfa
from tercero.platform.identity.middleware import (
    LAST_ACTIVITY,
    MFA_PENDING,
    SIGNED_IN_AT,
    pending_sign_in,
)
from tercero.platform.identity.models import User
from tercero.platform.identity.selectors import reachable_clients
from tercero.platform.identity.services import record_sign_in
from tercero.platform.tenancy.scoping import all_clients_scope


class SignInForm(AuthenticationForm):
    """Sign in with an e-mail address; the error never says which half was wrong."""

    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an active account.",
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SignInView(auth_views.LoginView):
    """Password first. People who use a second factor are not signed in yet: the
    session only remembers who is half-way, for MFA_PENDING_SECONDS, and the next page
    asks for the code (or sets up the authenticator the first time)."""

    form_class = SignInForm
    template_name = "config/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        account = lockout.account_key(request.POST.get("username", ""))
        refused = lockout.refusal(request, account)
        if refused is not None:
            if refused.status == 403:  # counts against the address, not the account
                lockout.note(request, account, succeeded=False, refused=True)
            return _refused(request, self.get_form(), refused)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        account = lockout.account_key(self.request.POST.get("username", ""))
        if account:
            lockout.note(self.request, account, succeeded=False)
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        if mfa.required_for(user):
            step = "login_mfa" if mfa.has_device(user) else "mfa_setup"
            self.request.session[MFA_PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "step": step,
                "at": time.time(),
            }
            return redirect(step)
        response = super().form_valid(form)  # logs in and rotates the session key
        _signed_in(self.request, response, user)
        return response


def _refused(request, form, refused):
    until = timezone.localtime(refused.until).strftime("%H:%M")
    form.errors.clear()
    message = f"Too many attempts; try again after {until} UTC."
    return render(
        request,
        "config/login.html",
        {"form": form, "refusal": message, "next": request.POST.get("next", "")},
        status=refused.status,
    )


def _pending_user(request):
    pending = pending_sign_in(request.session)
    if pending is None:
        return None, None
    with all_clients_scope():  # half-way signed in: no scope yet
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def _signed_in(request, response, user) -> None:
    request.session[SIGNED_IN_AT] = request.session[LAST_ACTIVITY] = time.time()
    record_sign_in(user=user)
    account = lockout.account_key(user.email)
    lockout.note(request, account, succeeded=True)
    lockout.remember_device(request, response, account)


def _finish_sign_in(request, user, pending):
    request.session.pop(MFA_PENDING, None)
    auth_login(request, user, backend=pending["backend"])  # rotates the session key
    target = pending.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = redirect(target)
    _signed_in(request, response, user)
    return response


def sign_in_code(request):
    """The second step: a code from the authenticator app, or a recovery code."""
    user, pending = _pending_user(request)
    if user is None:
        return redirect("login")
    account = lockout.account_key(user.email)
    error = ""
    status = 200
    if request.method == "POST":
        refused = lockout.refusal(request, account)
        if refused is not None:
            until = timezone.localtime(refused.until).strftime("%H:%M")
            error, status = f"Too many attempts; try again after {until} UTC.", refused.status
        elif mfa.verify(user=user, code=request.POST.get("code", "")):
            return _finish_sign_in(request, user, pending)
        else:
            lockout.note(request, account, succeeded=False)
            error, status = "That code does not match. Codes work once; wait for the next.", 422
    return render(request, "config/login_mfa.html", {"error": error}, status=status)


def mfa_setup(request):
    """Set up an authenticator: scan the code (or type the key), confirm with a code,
    then keep the recovery codes shown once."""
    user, pending = _pending_user(request)
    if user is None and not request.user.is_authenticated:
        return redirect("login")
    if user is not None and mfa.has_device(user):
        # a password alone never replaces the authenticator in use
        return redirect("login_mfa")
    person = user or request.user
    error = ""
    if request.method == "POST":
        try:
            codes = mfa.confirm_enrolment(user=person, code=request.POST.get("code", ""))
        except DomainError as failure:
            error = failure.message
            if pending:
                lockout.note(request, lockout.account_key(person.email), succeeded=False)
        else:
            response = _finish_sign_in(request, person, pending) if pending else None
            page = render(request, "config/mfa_codes.html", {"codes": codes, "first": True})
            if response is not None:
                page.cookies.update(response.cookies)
            return page
    seed = mfa.pending_seed(user=person)
    if seed is None or request.method == "GET":
        seed, uri = mfa.start_enrolment(user=person)
    else:
        uri = mfa.provisioning_uri(user=person, seed=seed)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title="Authenticator set-up code")
    return render(
        request,
        "config/mfa_setup.html",
        {
            "qr": qr,
            "seed": " ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
def mfa_page(request):
    """Your second factor: how many recovery codes are left; new ones on request."""
    codes = None
    error = ""
    if request.method == "POST":
        try:
            codes = mfa.regenerate_recovery_codes(
                user=request.user, code=request.POST.get("code", "")
            )
        except DomainError as failure:
            error = failure.message
    if codes:
        return render(request, "config/mfa_codes.html", {"codes": codes, "first": False})
    return render(
        request,
        "config/mfa.html",
        {
            "enrolled": mfa.has_device(request.user),
            "remaining": mfa.remaining_recovery_codes(user=request.user),
            "error": error,
        },
        status=422 if error else 200,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your password; other sessions of the account end (the hash changes)."""

    template_name = "config/password_change.html"
    success_url = reverse_lazy("home")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.label_suffix = ""
        return form

    def form_valid(self, form):
        with all_clients_scope():  # a staff member's row belongs to no client
            response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


@login_required
def home(request):
    """Each role starts on its own page; the rest see which clients they can reach."""
    if request.GET.get("stay") != "1":
        target = landing_url(request.user)
        if target:
            return redirect(target)
    clients = reachable_clients(user=request.user)
    return render(request, "config/home.html", {"clients": clients})


@require_POST
@login_required
def keepalive(request):
    """The idle warning's "Stay signed in": any request the user makes counts."""
    return HttpResponse(status=204)
