"""Commercials' pages, mounted at /billing/."""

from django.urls import path

from tercero.governance.billing.views import rates, usage

app_name = "billing"

urlpatterns = [
    path("rates/", rates.rate_card_list, name="rates"),
    path("rates/new/", rates.rate_card_new, name="rate_card_new"),
    path("rates/<int:rate_card_id>/", rates.rate_card_page, name="rate_card"),
    path("rates/<int:rate_card_id>/edit/", rates.rate_card_edit, name="rate_card_edit"),
    path("rates/<int:rate_card_id>/versions/", rates.rate_version_new, name="rate_version_new"),
    path("versions/<int:rate_version_id>/", rates.rate_version_edit, name="rate_version_edit"),
    path("versions/<int:rate_version_id>/lines/", rates.rate_line_new, name="rate_line_new"),
    path("lines/<int:rate_line_id>/remove/", rates.rate_line_remove, name="rate_line_remove"),
    path("usage/", usage.usage_page, name="usage"),
]
