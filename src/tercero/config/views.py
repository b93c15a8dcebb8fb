"""Pages that span modules: sign-in and the home page."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

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


@login_required
def home(request):
    """Who you are and which clients you can reach."""
    clients = reachable_clients(user=request.user)
    return render(request, "config/home.html", {"clients": clients})
