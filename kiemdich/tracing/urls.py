from django.urls import path

from . import views

app_name = "tracing"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/trace-f2/", views.trace_f2, name="trace_f2"),
    path("<int:case_id>/contacts/<int:contact_id>/", views.contact_update, name="contact"),
    path("<int:case_id>/communes/<str:code>/", views.commune_list, name="commune"),
    path(
        "<int:case_id>/communes/<str:code>/export.xlsx",
        views.commune_export,
        name="commune_export",
    ),
    path("<int:case_id>/communes/<str:code>/notify/", views.notify, name="notify"),
]
