"""Pages that span modules: sign-in and the home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tercero.platform.identity.selectors import reachable_clients
from tercero.platform.identity.services import record_sign_in


class SignInView(auth_views.LoginView):
    template_name = "config/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in and rotates the session key
        record_sign_in(user=form.get_user())
        return response


@login_required
def home(request):
    clients = reachable_clients(user=request.user)
    return render(request, "config/home.html", {"clients": clients})
