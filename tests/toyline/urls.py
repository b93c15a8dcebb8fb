from django.urls import path

from tests.toyline import views

app_name = "toyline"

urlpatterns = [
    path("", views.errands, name="errands"),
    path("<int:item_id>/", views.errand, name="errand"),
]
