from django.urls import path

from . import views

app_name = "checkins"
urlpatterns = [
    path("checkpoints/", views.checkpoints, name="checkpoints"),
]
