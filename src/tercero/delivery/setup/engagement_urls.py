from django.urls import path

from tercero.delivery.setup import engagements as views

app_name = "engagements"

urlpatterns = [
    path("", views.engagement_list, name="list"),
    path("new/", views.engagement_new, name="new"),
    path("<int:engagement_id>/", views.engagement_detail, name="detail"),
    path("<int:engagement_id>/edit/", views.engagement_edit, name="edit"),
    path("<int:engagement_id>/status/", views.change_status, name="status"),
]
