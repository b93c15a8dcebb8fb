"""crm pages, mounted at /crm/: conversions, the pipeline, opportunities, accounts."""

from django.urls import path

from tercero.services.crm.views import pages

app_name = "crm"

urlpatterns = [
    path("conversions/", pages.conversions, name="conversions"),
    path("opportunities/", pages.opportunities, name="opportunities"),
    path("opportunities/<int:opportunity_id>/", pages.opportunity_detail, name="opportunity"),
    path("accounts/", pages.accounts, name="accounts"),
    path("accounts/new/", pages.account_new, name="account_new"),
    path("accounts/<int:account_id>/", pages.account_detail, name="account"),
]
