"""Placeholder: filled in by the organizations work of issue 6."""

from django.http import HttpResponse
from django.urls import path

app_name = "orgs"
urlpatterns = [path("", lambda request: HttpResponse(), name="mine")]
