from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from tercero.config import views
from tercero.config.api import api
from tercero.delivery.work.urls import portal_urlpatterns
from tercero.platform import catalogue
from tercero.platform.api.errors import bad_request, json_404_view, server_error
from tercero.platform.identity import views as identity_views
from tercero.platform.ops import views as ops_views

portal = [
    *portal_urlpatterns,
    path("users/", identity_views.users, name="users"),
    path("users/<int:user_id>/active/", identity_views.set_active, name="user_active"),
]

# under /api/ even an unexpected failure answers in the API's error shape
handler400 = bad_request
handler500 = server_error

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", json_404_view, name="api-not-found"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("ops/health/", ops_views.operations, name="operations"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/mfa/", views.sign_in_code, name="login_mfa"),
    path("account/mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("account/mfa/", views.mfa_page, name="mfa"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/keepalive/", views.keepalive, name="keepalive"),
    path("settings/", identity_views.provider_settings, name="provider_settings"),
    path("settings/clients/", identity_views.provider_clients, name="provider_clients"),
    path("account/welcome/<str:uid>/<str:token>/", identity_views.welcome, name="welcome"),
    path("", views.home, name="home"),
    path("", include("tercero.delivery.work.urls")),
    path("portal/", include((portal, "portal"))),
    path("engagements/", include("tercero.delivery.setup.engagement_urls")),
    # each service line's pages, from its manifest
    *(path(line.url_prefix, include(line.urls)) for line in catalogue.lines() if line.urls),
    path("", include("tercero.delivery.setup.workforce_urls")),
    path("people/", include("tercero.delivery.setup.people_urls")),
    path("audit/", include("tercero.platform.audit.urls")),
    path("", include("tercero.delivery.contact.urls")),
    path("admin/", admin.site.urls),
]
