from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from tercero.config import views
from tercero.config.api import api
from tercero.platform.api.errors import json_404_view
from tercero.platform.ops import views as ops_views

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", json_404_view, name="api-not-found"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
]
