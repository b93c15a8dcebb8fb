from django.contrib import admin
from django.urls import path, re_path

from tercero.config.api import api
from tercero.platform.api.errors import json_404_view

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", json_404_view, name="api-not-found"),
    path("admin/", admin.site.urls),
]
