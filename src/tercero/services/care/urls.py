"""Care desk pages, mounted at /care/: the ticket panel and its forms (staff), the web
form, chat widget and satisfaction survey (public)."""

from django.urls import path

from tercero.services.care.views import (
    automations,
    desk_setup,
    knowledge,
    mail_brand,
    public,
    reporting,
    tickets,
)

app_name = "care"

urlpatterns = [
    path("tickets/<int:ticket_id>/", tickets.panel, name="panel"),
    path("tickets/<int:ticket_id>/conversation/", tickets.conversation, name="conversation"),
    path("tickets/<int:ticket_id>/typing/", tickets.typing, name="typing"),
    path("tickets/<int:ticket_id>/reply/", tickets.reply, name="reply"),
    path("tickets/<int:ticket_id>/macro/", tickets.apply_macro, name="macro"),
    path("tickets/<int:ticket_id>/fields/", tickets.custom_fields, name="fields"),
    path("tickets/<int:ticket_id>/resolve/", tickets.resolve, name="resolve"),
    path("tickets/<int:ticket_id>/relate/", tickets.relate, name="relate"),
    path("tickets/<int:ticket_id>/split/", tickets.split, name="split"),
    path("tickets/<int:ticket_id>/tier/", tickets.tier, name="tier"),
    path("tickets/<int:ticket_id>/checklist/", tickets.tick, name="tick"),
    path("reports/", reporting.report_page, name="reports"),
    path("automations/", automations.automation_list, name="automations"),
    path("automations/new/", automations.automation_new, name="automation_new"),
    path("automations/<int:automation_id>/", automations.automation_page, name="automation"),
    path(
        "automations/<int:automation_id>/switch/",
        automations.automation_switch,
        name="automation_switch",
    ),
    path(
        "automations/<int:automation_id>/move/", automations.automation_move, name="automation_move"
    ),
    path("mailboxes/", desk_setup.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", desk_setup.mailbox_new, name="mailbox_new"),
    path("mailboxes/<int:mailbox_id>/", desk_setup.mailbox_page, name="mailbox"),
    path("mailboxes/<int:mailbox_id>/signing/", mail_brand.signing_key_action, name="signing"),
    path("macros/", desk_setup.macro_list, name="macros"),
    path("macros/new/", desk_setup.macro_new, name="macro_new"),
    path("macros/<int:macro_id>/", desk_setup.macro_page, name="macro"),
    path("kb/", knowledge.article_list, name="articles"),
    path("kb/new/", knowledge.article_new, name="article_new"),
    path("kb/<int:article_id>/", knowledge.article_page, name="article"),
    path("kb/<int:article_id>/publish/", knowledge.article_publish, name="article_publish"),
    path("kb/<int:article_id>/delete/", knowledge.article_delete, name="article_delete"),
    path("w/<slug:key>/help/", knowledge.help_centre, name="help"),
    path("w/<slug:key>/help/<slug:slug>/", knowledge.help_article, name="help_article"),
    path("widget.js", public.widget_js, name="widget"),
    path("w/<slug:key>/", public.hosted_chat, name="hosted_chat"),
    path("w/<slug:key>/form/", public.contact_form, name="form"),
    path("w/<slug:key>/chat/start", public.chat_start, name="chat_start"),
    path("w/<slug:key>/chat/lines", public.chat_lines, name="chat_lines"),
    path("w/<slug:key>/chat/end", public.chat_end, name="chat_end"),
    path("survey/<str:signed>/", public.survey, name="survey"),
]
