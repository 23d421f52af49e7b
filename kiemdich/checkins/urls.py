from django.urls import path

from . import scanner, views

app_name = "checkins"
urlpatterns = [
    path("checkpoints/", views.checkpoints, name="checkpoints"),
]

#: The staff scanner of a checkpoint, under /venues/ in the `venues` namespace (kiemdich/urls.py
#: puts them before the checkpoint pages: `<id>/<action>/` would take "scanner"). The service
#: worker sits at /venues/scanner-sw.js so that its scope covers every scanner page.
venue_urlpatterns = [
    path("<int:venue_id>/scanner/", scanner.venue_scanner, name="scanner"),
    path("scanner-sw.js", scanner.service_worker, name="scanner-worker"),
]
