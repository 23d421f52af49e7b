from django.urls import path

from . import phone_views, scanner, views

app_name = "checkins"
urlpatterns = [
    path("checkpoints/", views.checkpoints, name="checkpoints"),
]

#: The staff scanner of a checkpoint, under /venues/ in the `venues` namespace (kiemdich/urls.py
#: puts them before the checkpoint pages: `<id>/<action>/` would take "scanner"). The service
#: worker sits at /venues/scanner-sw.js so that its scope covers every scanner page.
venue_urlpatterns = [
    path("<int:venue_id>/scanner/", scanner.venue_scanner, name="scanner"),
    # Visitors without a smartphone: a code sent to their phone (checkins.phonecheck).
    path("<int:venue_id>/phone/", phone_views.phone_start, name="phone-checkin"),
    path("<int:venue_id>/phone/<int:check_id>/", phone_views.phone_code, name="phone-code"),
    path("scanner-sw.js", scanner.service_worker, name="scanner-worker"),
]
