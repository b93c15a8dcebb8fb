from django.urls import path

from tercero.delivery.setup import workforce as views

app_name = "workforce"

urlpatterns = [
    path("agents/", views.agent_list, name="agents"),
    path("agents/<int:agent_id>/", views.agent_detail, name="agent"),
    path("sites/", views.site_list, name="sites"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
]
