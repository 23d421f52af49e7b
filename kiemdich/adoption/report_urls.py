"""/reports/: the daily reports of a unit and of the units under it, for any day."""

from django.urls import path

from . import report_views

app_name = "reports"
urlpatterns = [
    path("", report_views.index, name="index"),
]
