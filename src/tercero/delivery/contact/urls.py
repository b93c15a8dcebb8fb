"""Contact verification pages: the agents' desk under /work/contact/ and the public
page at /verify/<slug>/."""

from django.urls import path

from tercero.delivery.contact import views

app_name = "contact"

urlpatterns = [
    path("work/contact/", views.desk, name="desk"),
    path("work/contact/recent/", views.recent, name="recent"),
    path("work/contact/<int:verification_id>/", views.verification, name="verification"),
    path("verify/<slug:slug>/", views.verify, name="verify"),
]
