from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("import/", views.import_page, name="import"),
    path("import/<int:job_id>/", views.import_job, name="import-job"),
    path("<str:code>/", views.detail, name="detail"),
]
