"""Contact verification pages: the agents' desk under /work/contact/, the public page at
/verify/<slug>/, and setting that page up (staff under /work/contact/pages/, a client's
admin in the portal)."""

from django.urls import path

from tercero.delivery.contact import views

app_name = "contact"

urlpatterns = [
    path("work/contact/", views.desk, name="desk"),
    path("work/contact/recent/", views.recent, name="recent"),
    path("work/contact/<int:verification_id>/", views.verification, name="verification"),
    path("work/contact/pages/", views.verification_pages, name="pages"),
    path("work/contact/pages/<int:client_id>/", views.verification_page_edit, name="page_edit"),
    path("portal/verification-page/", views.portal_verification_page, name="portal_page"),
    path("verify/<slug:slug>/", views.verify, name="verify"),
]
