"""Pages that span modules: sign-in, home, password change, keep-alive."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from tercero.config.navigation import landing_url
from tercero.platform.identity.selectors import reachable_clients
from tercero.platform.identity.services import record_sign_in


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
    form_class = SignInForm
    template_name = "config/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in and rotates the session key
        record_sign_in(user=form.get_user())
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your password; other sessions of the account end (the hash changes)."""

    template_name = "config/password_change.html"
    success_url = reverse_lazy("home")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.label_suffix = ""
        return form

    def form_valid(self, form):
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
