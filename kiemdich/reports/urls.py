"""/reports/: the daily reports of a unit and of the units under it, for any day."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
]
