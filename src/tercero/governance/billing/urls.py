"""Commercials' pages, mounted at /billing/."""

from django.urls import path

from tercero.governance.billing.views import commercial, invoices, rates, usage

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
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/draft/", invoices.invoice_draft, name="invoice_draft"),
    path("invoices/<int:invoice_id>/", invoices.invoice_page, name="invoice"),
    path("invoices/<int:invoice_id>/credit/", invoices.invoice_credit, name="invoice_credit"),
    path(
        "invoices/<int:invoice_id>/review/",
        invoices.invoice_action,
        {"action": "review"},
        name="invoice_review",
    ),
    path(
        "invoices/<int:invoice_id>/reopen/",
        invoices.invoice_action,
        {"action": "reopen"},
        name="invoice_reopen",
    ),
    path(
        "invoices/<int:invoice_id>/issue/",
        invoices.invoice_action,
        {"action": "issue"},
        name="invoice_issue",
    ),
    path(
        "invoices/<int:invoice_id>/pdf/",
        invoices.invoice_download,
        {"form": "pdf"},
        name="invoice_pdf",
    ),
    path(
        "invoices/<int:invoice_id>/csv/",
        invoices.invoice_download,
        {"form": "csv"},
        name="invoice_csv",
    ),
    path(
        "invoices/<int:invoice_id>/ubl/",
        invoices.invoice_download,
        {"form": "ubl"},
        name="invoice_ubl",
    ),
    path("parties/<int:client_id>/", invoices.party_update, name="party_update"),
    path("credits/", commercial.credit_list, name="credits"),
    path("credits/terms/<int:engagement_id>/", commercial.credit_terms, name="credit_terms"),
    path("obligations/", commercial.obligation_list, name="obligations"),
    path("obligations/new/", commercial.obligation_new, name="obligation_new"),
    path(
        "obligations/<int:obligation_id>/retire/",
        commercial.obligation_retire,
        name="obligation_retire",
    ),
    path(
        "obligations/due/<int:occurrence_id>/met/", commercial.occurrence_met, name="occurrence_met"
    ),
    path("savings/", commercial.savings_page, name="savings"),
    path("savings/baseline/<int:engagement_id>/", commercial.baseline_set, name="baseline_set"),
    path("margin/", commercial.margin_page, name="margin"),
    path("review/", commercial.review_start, name="review_start"),
    path("review/<int:client_id>/", commercial.review_page, name="review"),
    path("review/<int:client_id>/pdf/", commercial.review_pdf, name="review_pdf"),
]
