from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("r/<str:token>/", views.report_page, name="report"),
    path("me/", views.my_monitorings, name="mine"),
    path("me/<int:monitoring_id>/", views.my_report, name="my-report"),
]
