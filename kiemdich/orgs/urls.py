from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("import/", views.import_page, name="import"),
    path("<str:code>/", views.detail, name="detail"),
]
