"""Page URLs of the work engine: staff pages under /work/ and /ops/, the portal's under /portal/."""

from django.urls import path

from tercero.delivery.work.views import floor, floor_agents, imports, items, portal, workspace
from tercero.platform.security import views as security

app_name = "work"

urlpatterns = [
    path("work/", workspace.workspace, name="workspace"),
    path("work/mine/", workspace.my_items, name="my_items"),
    path("work/presence/", workspace.presence, name="presence"),
    path("work/next/", workspace.get_next, name="next"),
    path("work/items/", items.item_list, name="items"),
    path("work/items/bulk/", items.bulk, name="bulk"),
    path("work/items/<int:item_id>/", items.item_page, name="item"),
    path("work/items/<int:item_id>/status/", items.item_status, name="item_status"),
    path("work/items/<int:item_id>/act/", items.act, name="act"),
    path("work/items/<int:item_id>/transfer/", items.transfer, name="transfer"),
    path("work/items/<int:item_id>/escalate/", items.escalate, name="escalate"),
    path("work/items/<int:item_id>/assign/", items.assign, name="assign"),
    path("work/items/<int:item_id>/comments/", items.add_comment, name="comment"),
    path("work/items/<int:item_id>/reveal/", items.reveal, name="reveal"),
    path("work/items/<int:item_id>/access/", items.break_glass, name="break_glass"),
    path("work/attachments/<int:attachment_id>/", items.download, name="download"),
    path("work/import/", imports.import_csv, name="import"),
    path("work/import/<int:job_id>/", imports.import_job, name="import_job"),
    path("ops/", floor.floor, name="floor"),
    path("ops/live/", floor.floor_live, name="floor_live"),
    path("ops/agents/", floor_agents.agents, name="floor_agents"),
    path("ops/wallboard/", floor_agents.queue_wallboard, name="wallboard"),
    path("ops/wallboard/live/", floor_agents.queue_wallboard_live, name="wallboard_live"),
    path("ops/sla/", floor.sla_report, name="sla"),
    path("ops/security/", security.alerts, name="security"),
    path("ops/security/alerts/<int:alert_id>/", security.acknowledge, name="security_ack"),
    path("ops/security/reveals/<int:reveal_id>/", security.decide_reveal, name="security_reveal"),
]

# Included by the site's URL conf under the "portal" namespace with the users pages.
portal_urlpatterns = [
    path("", portal.home, name="home"),
    path("submit/<int:queue_id>/", portal.submit, name="submit"),
    path("items/", portal.items, name="items"),
    path("items/<int:item_id>/", portal.item_page, name="item"),
    path("items/<int:item_id>/status/", portal.item_status, name="item_status"),
    path("items/<int:item_id>/reply/", portal.reply, name="reply"),
    path("sla/", portal.sla_report, name="sla"),
    path("audit/", portal.audit_checkpoints, name="audit"),
]
