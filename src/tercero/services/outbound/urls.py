"""Outbound pages, mounted at /outbound/: campaigns, their lists and leads, do-not-call."""

from django.urls import path

from tercero.services.outbound.views import board, campaigns, dnc, leads, reports, screen

app_name = "outbound"

urlpatterns = [
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/status/", campaigns.campaign_status, name="campaign_status"),
    path("campaigns/<int:campaign_id>/lists/", leads.list_upload, name="list_upload"),
    path("lists/<int:list_id>/", leads.list_detail, name="list"),
    path("leads/<int:lead_id>/", leads.lead_detail, name="lead"),
    path("board/", board.board_page, name="board"),
    path("reports/", reports.report_page, name="reports"),
    path("dnc/", dnc.dnc_page, name="dnc"),
    path("dnc/<int:entry_id>/remove/", dnc.dnc_remove, name="dnc_remove"),
    path("calls/<int:attempt_id>/", screen.call_screen, name="call_screen"),
    path("calls/<int:attempt_id>/end/", screen.call_dispose, name="call_dispose"),
    path("campaigns/<int:campaign_id>/next-call/", screen.call_next, name="call_next"),
]
