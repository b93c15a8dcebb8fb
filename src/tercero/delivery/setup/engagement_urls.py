from django.urls import path

from tercero.delivery.setup import engagement_setup as setup
from tercero.delivery.setup import engagements as views

app_name = "engagements"

urlpatterns = [
    path("", views.engagement_list, name="list"),
    path("new/", views.engagement_new, name="new"),
    path("<int:engagement_id>/", views.engagement_detail, name="detail"),
    path("<int:engagement_id>/edit/", views.engagement_edit, name="edit"),
    path("<int:engagement_id>/status/", views.change_status, name="status"),
    path("<int:engagement_id>/hours/", setup.engagement_hours, name="hours"),
    path("<int:engagement_id>/calendar/", setup.engagement_calendar, name="calendar"),
    path("<int:engagement_id>/sla/", setup.engagement_sla, name="sla"),
    path("<int:engagement_id>/reach/", setup.engagement_reach, name="reach"),
    path("<int:engagement_id>/queues/<int:queue_id>/", setup.engagement_queue, name="queue"),
]
